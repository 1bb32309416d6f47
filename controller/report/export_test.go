package report

// PoissonTail is poissonTail, for the table test.
var PoissonTail = poissonTail
