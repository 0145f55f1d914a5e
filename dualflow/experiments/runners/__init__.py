"""What runs the experiments: studies, comparisons, the demo and the stability commands, over one build and one measure-and-summarise pipeline."""
