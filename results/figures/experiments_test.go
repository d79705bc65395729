package figures

// The figures of the paper's experiments are found through the experiments'
// registrations (models.Definition.Figure): the tests register them all.
import _ "dinv/models/all"
