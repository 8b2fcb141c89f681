"""`helpdesk` command line, one module per command group: ingest, answers (search, ask, chat), serve, status,
feedback (export, purge), corpus (download), and eval (service/eval_cli.py)."""

from __future__ import annotations

import typer

from service.cli import answers, corpus, feedback, ingest, serve, status
from service.eval_cli import eval_app

__all__ = ["app"]

app = typer.Typer(help="Funding Helpdesk: cited answers over EU funding documents.", no_args_is_help=True)
app.add_typer(corpus.corpus_app, name="corpus")
app.add_typer(feedback.feedback_app, name="feedback")
app.add_typer(eval_app, name="eval")
# in the order `helpdesk --help` lists them
for command in (ingest.ingest, answers.search, answers.ask, answers.chat, serve.serve, status.status):
    app.command()(command)
