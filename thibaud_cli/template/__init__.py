"""Templates: where a template comes from, rendering it (the only place copier is
used), the limits a render runs under, and the bundled template's versions."""
