"""What a run is asked to do: the study schema and model, the demo and the stability commands' configurations."""
