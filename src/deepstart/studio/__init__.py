"""deepstart studio: the no-code web page (app.py), its records (store.py), its workspace
(workspace.py), its queue of jobs (jobs.py, worker.py)."""
