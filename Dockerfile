# newsmon in one image: the environment `make setup` builds, with the same pins and the same
# install commands (tests/unit/test_install.py checks that this file and the Makefile agree).
# Not built by the test suite: the build machine has no Docker engine.
#
#   docker build -t newsmon .
#   docker run --rm -it newsmon                      # newsmon demo: the sample site, end to end
#   docker run --rm -v "$PWD/data:/newsmon/data" newsmon newsmon run
FROM python:3.11-slim

ARG TORCH=torch==2.13.0
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ARG EXTRAS=dev,airflow
ARG CONSTRAINTS=constraints.txt

ENV HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false \
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    PATH=/newsmon/.venv/bin:$PATH
WORKDIR /newsmon

# torch first, alone, as its CPU build (PyPI's x86-64 torch is a CUDA build): its own layer, kept
# while the project's files change.
RUN python -m venv .venv \
 && .venv/bin/python -m pip install --quiet --upgrade pip \
 && .venv/bin/python -m pip install --quiet --no-deps --index-url ${TORCH_INDEX} ${TORCH}

COPY . .
RUN .venv/bin/python -m pip install --quiet -c ${CONSTRAINTS} -e ".[${EXTRAS}]"

CMD ["newsmon", "demo"]
