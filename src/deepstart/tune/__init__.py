"""deepstart tune: settings searched with Optuna, and the reasons said in plain words."""
