"""What the experiments keep: atomic files, the resumable run store, checkpoints and JSON records."""
