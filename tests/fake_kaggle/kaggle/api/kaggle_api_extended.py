"""The two calls the notebook makes of kaggle.api.kaggle_api_extended.KaggleApi, answered locally.

Each call is appended to the JSON-lines file named by FAKE_KAGGLE_LOG, so a test can check what was submitted.
"""

import json
import os
from types import SimpleNamespace


def _record(**call):
    with open(os.environ["FAKE_KAGGLE_LOG"], "a") as log:
        log.write(json.dumps(call) + "\n")


class KaggleApi:
    def authenticate(self):
        if not (os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY")):
            raise OSError("Could not find kaggle.json")
        _record(call="authenticate")

    def competition_submit(self, file_name, message, competition, quiet=False):
        self.submitted = dict(file_name=file_name, message=message, competition=competition)
        _record(call="competition_submit", rows=sum(1 for _ in open(file_name)), **self.submitted)

    def competition_submissions(self, competition, group=None, sort=None, page_token=0, page_size=20):
        _record(call="competition_submissions", competition=competition)
        return [SimpleNamespace(status="SubmissionStatus.COMPLETE", public_score="0.98765",
                                description=self.submitted["message"], file_name="submission.csv")]
