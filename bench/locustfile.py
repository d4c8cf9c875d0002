"""Simulated users of the load benchmark (bench/load_bench.py starts it; issue #15).

Two kinds of user, chosen by class name on locust's command line:

* ``TrivialUser``: the health check (``/healthz``: one ``SELECT 1``), the same server's ceiling;
* ``SignedInFloorUser``: the cheapest page a signed-in person opens (their own sessions: the
  session, the user, the second factor and one short list), the floor every case page stands on;
* ``CaseWorker``: signed-in, second-factor-verified people of every role doing the daily mix —
  the case list, a case page, a search by surname, by IIN and by plot word, and (investigators)
  the act drafting form.

No think time: every user sends its next request when the previous one answers, so the
throughput is the server's capacity and the latency includes the queue. The sessions, cases,
IINs and search terms come from the JSON file named by ECASE_LOAD_PROFILES (load_bench.py makes
it with Django's own session machinery on the bench database). Requests carry
``X-Forwarded-Proto: https``, as the TLS proxy in front of a production server would send it.
"""

from __future__ import annotations

import json
import os
import random

from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser

with open(os.environ["ECASE_LOAD_PROFILES"]) as handle:
    PROFILES = json.load(handle)
PROXY = {"X-Forwarded-Proto": "https"}


class TrivialUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def health(self):
        self.client.get("/healthz", headers=PROXY, name="trivial: /healthz")


class _SignedIn(FastHttpUser):
    abstract = True
    wait_time = constant(0)

    def on_start(self):
        self.profile = random.choice(PROFILES["users"])
        self.headers = {**PROXY, "Cookie": f"{PROFILES['cookie']}={self.profile['session']}"}

    def _get(self, url: str, name: str):
        # Redirects are not followed: locust would follow them without this session's headers (the
        # cookie and the proxy's scheme), so a redirect is counted as what it is, a failure, never as
        # a fast page (a lost sign-in, a grave case asking for a fresh code).
        with self.client.get(
            url, headers=self.headers, name=name, catch_response=True, allow_redirects=False
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} {response.headers.get('Location', '')}")


class SignedInFloorUser(_SignedIn):
    @task
    def own_sessions(self):
        self._get("/accounts/sessions/", "signed-in floor: my sessions")


class CaseWorker(_SignedIn):
    @task(3)
    def case_list(self):
        self._get("/cases/", "case list")

    @task(3)
    def case_page(self):
        self._get(f"/cases/{random.choice(self.profile['cases'])}/", "case page")

    @task(2)
    def surname_search(self):
        self._get(f"/cases/?q={random.choice(PROFILES['surnames'])}", "search: surname")

    @task(1)
    def plot_search(self):
        self._get(f"/cases/?q={random.choice(PROFILES['plot_words'])}", "search: plot word")

    @task(2)
    def iin_search(self):
        self._get(f"/cases/?q={random.choice(self.profile['iins'])}", "search: IIN")

    @task(1)
    def act_form(self):
        if self.profile["act_form"]:
            self._get(self.profile["act_form"], "act drafting form")
        else:
            self.case_list()
