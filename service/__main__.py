"""`python -m service` runs the `helpdesk` command line."""

from service.cli import app

app(prog_name="helpdesk")
