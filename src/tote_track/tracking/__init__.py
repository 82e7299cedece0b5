"""The domain: lifecycle rules, the progress stepper and the polling policy. Pure, no I/O."""
