# The naive single-stage image the benchmark compares against: same content, common habits
# (code copied before the dependencies, wheels in the context, apt lists and pip left behind).
# hadolint global ignore=DL3008,DL3009,DL3013,DL3015,DL3042
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y python3 python3-venv python3-pip
COPY . /app
WORKDIR /app
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-index --find-links /app/wheels -r /app/wheels/requirements.txt \
    && /opt/venv/bin/pip install --no-index --find-links /app/wheels --no-deps .
ENV PATH=/opt/venv/bin:$PATH
