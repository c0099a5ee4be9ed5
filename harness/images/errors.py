"""Errors the image tooling reports to users (the CLI prints them without a traceback)."""


class ImagesError(Exception):
    """A user-facing image error: bad configuration, an unreachable engine, a failed build."""


class EngineUnavailable(ImagesError):
    """The Docker engine (or the docker SDK) is not reachable."""


class BuildFailed(ImagesError):
    """A build step failed; the message names the step and shows its output."""

    def __init__(self, image: str, step: str, output: list[str], error: str) -> None:
        self.image, self.step, self.output, self.error = image, step, output, error
        shown = "\n".join(f"    {line}" for line in output[-30:]) or "    (no output)"
        super().__init__(
            f"building {image} failed at step:\n  {step or '(before the first step)'}\n"
            f"  output of that step (last lines):\n{shown}\n  error: {error}"
        )
