"""Repeated stratified k-fold evaluation of the routing model on a labelled CSV.

    manage.py routing_evaluate --csv FILE --text-cols COL[,COL...] --label-col COL [--folds 5] [--repeats 3] [--seed 0]

The last line printed is always `accuracy=0.XXX macro_f1=0.XXX top3=0.XXX n=N classes=K`, so scripts can
parse it; everything before it is progress.
"""

from django.core.management.base import BaseCommand, CommandError

from sikesal.routing.evaluate import EvaluationError, evaluate_csv


class Command(BaseCommand):
    help = "Cross-validate the routing model on a labelled CSV and print accuracy, macro-F1 and top-3 accuracy."

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True, help="CSV file with a header row")
        parser.add_argument("--text-cols", required=True, help="comma-separated text columns, joined with a space")
        parser.add_argument("--label-col", required=True, help="column holding the label")
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument("--repeats", type=int, default=3)
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **options):
        def log(line):
            self.stdout.write(line)
            self.stdout.flush()

        try:
            result = evaluate_csv(
                options["csv"],
                options["text_cols"].split(","),
                options["label_col"],
                folds=options["folds"],
                repeats=options["repeats"],
                seed=options["seed"],
                log=log,
            )
        except EvaluationError as exc:
            raise CommandError(str(exc)) from None
        log(result.summary())
