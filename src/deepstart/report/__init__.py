"""What people read: the summaries printed after training and by info (text.py),
report.html (page.py, mistakes.py, forecast.py) and its plots (plots.py)."""
