"""Models of Karmada's own behaviour: naming, logging, controllers."""
