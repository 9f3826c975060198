"""Send scenario traffic through the PHP router and post the true labels later.

Records go to the router's ``POST /predict/{model}`` for the scenario's model;
requests go out at a fixed rate from a few threads (keep-alive sessions); each
answer's prediction id is queued with its true label and posted to the
feedback URL once the label delay has passed, in batches. Progress lines say
what the clients see: the phase, errors, and per model version over the last
answers the accuracy (churn) or the mean absolute error (house prices).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests

from traffic.records import Label, phase_records
from traffic.scenarios import Scenario

LABEL_BATCH = 200


@dataclass
class TrafficStats:
    sent: int = 0
    answered: int = 0
    errors: int = 0
    labels_posted: int = 0
    label_errors: int = 0
    by_variant: Counter[str] = field(default_factory=Counter)
    # (version, score) of the most recent answers: 1.0 or 0.0 for a right or wrong class,
    # the absolute error for a price. Their mean is the client-side accuracy or MAE.
    recent: deque[tuple[str, float]] = field(default_factory=lambda: deque(maxlen=400))

    def mean_by_version(self) -> dict[str, float]:
        """The mean score per version over the recent answers, for versions with 20 or more."""
        totals: Counter[str] = Counter()
        sums: dict[str, float] = {}
        for version, score in list(self.recent):
            totals[version] += 1
            sums[version] = sums.get(version, 0.0) + float(score)
        return {v: sums[v] / totals[v] for v in sorted(totals) if totals[v] >= 20}


def score(prediction: dict[str, Any], label: Label) -> float:
    """A classifier's answer: 1.0 when right; a regression answer: its absolute error."""
    if "prediction" in prediction:
        return abs(float(prediction["prediction"]) - float(label))
    return float(str(prediction["predicted_class"]) == str(label))


class TrafficGenerator:
    def __init__(
        self,
        *,
        router_url: str,
        feedback_url: str,
        scenario: Scenario,
        rate: float,
        label_delay: float,
        seed: int = 0,
        concurrency: int = 4,
        users: int = 1000,
        say: Callable[[str], None] = print,
        progress_every: float = 10.0,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.router_url = router_url.rstrip("/")
        self.feedback_url = feedback_url.rstrip("/")
        self.scenario = scenario
        self.rate = rate
        self.label_delay = label_delay
        self.seed = seed
        self.concurrency = concurrency
        self.users = users
        self.say = say
        self.progress_every = progress_every
        self.stats = TrafficStats()
        # Every line names the model: several generators may share one output (a stack of
        # several models), and the story reads its own model's phase lines.
        self.prefix = f"traffic {scenario.model_name}:"
        self.phase = scenario.phases[0].name
        # (due, ticket, prediction id, label, index of the phase it was predicted in)
        self._labels: list[tuple[float, int, str, Label, int]] = []
        self._labelled_phases: set[int] = set()  # phases whose first label was posted
        # What the mean of the recent scores is, for the progress line.
        self._figure = "mae" if scenario.task == "regression" else "accuracy"
        self._labels_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self._local = threading.local()
        self._ticket = itertools.count()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
        return session

    def _send(self, record: dict[str, Any], label: Label, user: str, phase: int = 0) -> None:
        try:
            resp = self._session().post(
                f"{self.router_url}/predict/{self.scenario.model_name}",
                json={"record": record},
                headers={"X-User-Key": user},
                timeout=10,
            )
            body = (
                resp.json()
                if resp.headers.get("content-type", "").startswith("application/json")
                else {}
            )
            ok = resp.status_code == 200 and "predictions" in body
        except (requests.RequestException, ValueError):
            ok, body = False, {}
        with self._stats_lock:
            if not ok:
                self.stats.errors += 1
                return
            self.stats.answered += 1
            self.stats.by_variant[str(body.get("variant"))] += 1
            prediction = body["predictions"][0]
            version = str(body.get("model", {}).get("version"))
            self.stats.recent.append((version, score(prediction, label)))
        with self._labels_lock:
            heapq.heappush(
                self._labels,
                (time.monotonic() + self.label_delay, next(self._ticket),
                 prediction["prediction_id"], label, phase),
            )  # fmt: skip

    def _post_due_labels(self, force: bool = False) -> None:
        now = time.monotonic()
        due: list[dict[str, Any]] = []
        phases: set[int] = set()
        with self._labels_lock:
            while self._labels and (force or self._labels[0][0] <= now):
                _, _, pid, label, phase = heapq.heappop(self._labels)
                due.append({"prediction_id": pid, "label": label})
                phases.add(phase)
        for start in range(0, len(due), LABEL_BATCH):
            batch = due[start : start + LABEL_BATCH]
            try:
                resp = self._session().post(
                    f"{self.feedback_url}/feedback", json={"labels": batch}, timeout=30
                )
                ok = resp.status_code in (200, 207)
            except requests.RequestException:
                ok = False
            with self._stats_lock:
                if ok:
                    self.stats.labels_posted += len(batch)
                else:
                    self.stats.label_errors += len(batch)
        # The story's timeline reads this line: when a phase's first label is in.
        for phase in sorted(phases - self._labelled_phases):
            self._labelled_phases.add(phase)
            name = self.scenario.phases[phase].name
            self.say(f"{self.prefix} first label of phase {name} posted")

    def _label_loop(self, stop: threading.Event) -> None:
        while not stop.wait(0.5):
            self._post_due_labels()

    def progress_line(self) -> str:
        with self._stats_lock:
            means = self.stats.mean_by_version()
            s = self.stats
            style = "{:.0f}" if self._figure == "mae" else "{:.2f}"
            figures = " ".join(f"v{v}={style.format(m)}" for v, m in means.items()) or "-"
            variants = " ".join(f"{k}={n}" for k, n in sorted(s.by_variant.items()))
            return (
                f"phase={self.phase} sent={s.sent} answered={s.answered} errors={s.errors} "
                f"labels={s.labels_posted} variants[{variants}] {self._figure}[{figures}]"
            )

    def run(self, stop: threading.Event, max_seconds: float | None = None) -> TrafficStats:
        """Send until ``stop`` is set, ``max_seconds`` pass, or the last timed phase ends."""
        started = time.monotonic()
        label_thread = threading.Thread(target=self._label_loop, args=(stop,), daemon=True)
        label_thread.start()
        interval = 1.0 / self.rate
        next_progress = started + self.progress_every
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="traffic") as pool:
            for index, phase in enumerate(self.scenario.phases):
                self.phase = phase.name
                self.say(f"{self.prefix} phase {phase.name} starts")
                phase_end = None if phase.seconds is None else time.monotonic() + phase.seconds
                due = time.monotonic()
                for record, label in phase_records(phase, self.seed + index):
                    now = time.monotonic()
                    if stop.is_set() or (max_seconds is not None and now - started >= max_seconds):
                        break
                    if phase_end is not None and now >= phase_end:
                        break
                    if due > now:
                        time.sleep(due - now)
                    due += interval
                    user = f"user-{self.stats.sent % self.users}"
                    with self._stats_lock:
                        self.stats.sent += 1
                    pool.submit(self._send, record, label, user, index)
                    if time.monotonic() >= next_progress:
                        self.say(f"{self.prefix} {self.progress_line()}")
                        next_progress += self.progress_every
                if stop.is_set() or (
                    max_seconds is not None and time.monotonic() - started >= max_seconds
                ):
                    break
        stop.set()
        label_thread.join(timeout=5)
        self._post_due_labels(force=True)
        self.say(f"{self.prefix} done: {self.progress_line()}")
        return self.stats
