"""One image build through the engine's classic builder, with its log streamed as it runs."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.images.errors import BuildFailed, ImagesError

_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
# Called with each log event: ("step", "Step 3/20 : RUN ..."), ("cached", step) or ("output", line).
LogSink = Callable[[str, str], None]


@dataclass(frozen=True)
class Step:
    """One Dockerfile instruction as the builder ran it."""

    text: str
    cached: bool


@dataclass(frozen=True)
class BuildResult:
    """The image a build made, how long it took and which steps reused the cache."""

    image_id: str
    tag: str | None
    seconds: float
    steps: tuple[Step, ...] = field(default=())

    @property
    def rebuilt(self) -> tuple[Step, ...]:
        """Steps that ran (FROM and metadata-only steps do not count)."""
        return tuple(s for s in self.steps if not s.cached
                     and s.text.split(" ", 1)[0].upper() in {"RUN", "COPY", "ADD"})


@dataclass(frozen=True)
class BuildRequest:
    """What to build: a Dockerfile, its context (None: an empty one) and build arguments."""

    name: str
    dockerfile: Path
    context: Path | None = None
    target: str | None = None
    tag: str | None = None
    buildargs: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    nocache: bool = False


class _StepLog:
    """Follows the build stream: the current step, its output, the steps seen so far."""

    def __init__(self, sink: LogSink | None) -> None:
        self.sink = sink or (lambda kind, text: None)
        self.steps: list[Step] = []
        self.output: list[str] = []
        self.image_id = ""

    @property
    def current(self) -> str:
        """The instruction now running ('' before the first step)."""
        return self.steps[-1].text if self.steps else ""

    def line(self, text: str) -> None:
        """One log line: a new step, a cache hit, or output of the current step."""
        match = _STEP.match(text)
        if match:
            self.steps.append(Step(match.group(3), cached=False))
            self.output = []
            self.sink("step", text)
        elif text.strip() == "---> Using cache" and self.steps:
            self.steps[-1] = Step(self.steps[-1].text, cached=True)
            self.sink("cached", self.current)
        elif text.strip():
            self.output.append(text)
            self.sink("output", text)

    def event(self, item: Mapping[str, Any], name: str) -> None:
        """One decoded stream item; an `error` item raises BuildFailed."""
        if "error" in item:
            raise BuildFailed(name, self.current, self.output, str(item["error"]).strip())
        for text in str(item.get("stream", "")).splitlines():
            self.line(text.rstrip())
        aux = item.get("aux")
        if isinstance(aux, Mapping) and "ID" in aux:
            self.image_id = str(aux["ID"])


def build(client: Any, request: BuildRequest, sink: LogSink | None = None) -> BuildResult:
    """Build one image, streaming its log to `sink`; BuildFailed names the failing step."""
    import docker  # pylint: disable=import-outside-toplevel  # optional extra 'images'

    log = _StepLog(sink)
    options: dict[str, Any] = {
        "tag": request.tag, "target": request.target, "buildargs": dict(request.buildargs),
        "labels": dict(request.labels) or None, "decode": True, "rm": True, "forcerm": True,
        "network_mode": "host", "pull": False, "nocache": request.nocache,
    }
    if request.context is None:
        options["fileobj"] = request.dockerfile.open("rb")
    else:
        options["path"] = str(request.context)
        options["dockerfile"] = str(request.dockerfile.resolve())
    started = time.perf_counter()
    try:
        for item in client.api.build(**options):
            log.event(item, request.name)
    except docker.errors.APIError as error:
        raise BuildFailed(request.name, log.current, log.output, str(error)) from error
    finally:
        if "fileobj" in options:
            options["fileobj"].close()
    if not log.image_id:
        raise ImagesError(f"building {request.name}: the engine reported no image id")
    return BuildResult(log.image_id, request.tag, time.perf_counter() - started,
                       tuple(log.steps))
