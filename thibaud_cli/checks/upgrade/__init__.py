"""validate-template --update-from: each variant generated at an older release, committed,
and updated to the template under test, as a user of the template would."""
