#!/bin/sh
# Start a local Docker engine and make the local Debian base image, for CI and developers on a
# machine with no registry access (see DESIGN.md, "Docker on this kind of machine").
#
# Idempotent: installs what is missing, starts dockerd only if `docker info` does not answer,
# and makes the base image only if its tag is missing. Run as root.
#
# Environment:
#   HARNESS_BASE_TAG     tag of the local OS base (default debian:bookworm-slim)
#   HARNESS_SUITE        Debian suite for debootstrap (default bookworm)
#   HARNESS_DOCKERD_LOG  dockerd log file (default /tmp/harness-dockerd.log)
#   HARNESS_DEBIAN_MIRROR  mirror to use; default: read from this machine's apt sources
set -eu

BASE_TAG=${HARNESS_BASE_TAG:-debian:bookworm-slim}
SUITE=${HARNESS_SUITE:-bookworm}
LOG=${HARNESS_DOCKERD_LOG:-/tmp/harness-dockerd.log}

say() { echo "start-engine: $*" >&2; }

install_missing() {
    missing=""
    command -v dockerd >/dev/null 2>&1 || missing="$missing docker.io"
    command -v debootstrap >/dev/null 2>&1 || missing="$missing debootstrap"
    command -v docker-registry >/dev/null 2>&1 || missing="$missing docker-registry"
    if [ -n "$missing" ]; then
        say "installing$missing"
        apt-get update -qq
        # shellcheck disable=SC2086  # word splitting of the package list is intended
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    fi
}

start_engine() {
    if docker info >/dev/null 2>&1; then
        say "engine already running"
        return
    fi
    say "starting dockerd (log: $LOG)"
    nohup dockerd --storage-driver=overlay2 --iptables=false --bridge=none >"$LOG" 2>&1 &
    tries=0
    until docker info >/dev/null 2>&1; do
        tries=$((tries + 1))
        if [ "$tries" -gt 60 ]; then
            say "dockerd did not answer within 60 s; last lines of $LOG:"
            tail -n 20 "$LOG" >&2
            exit 1
        fi
        sleep 1
    done
    say "engine up"
}

# The Debian mirror this machine's apt already uses (deb822 or one-line sources alike).
debian_mirror() {
    if [ -n "${HARNESS_DEBIAN_MIRROR:-}" ]; then
        echo "$HARNESS_DEBIAN_MIRROR"
        return
    fi
    apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null \
        | awk -v suite="$SUITE" '$2 == suite { print $1; exit }'
}

# Trim a minbase rootfs the way Debian's official slim images are trimmed: no docs, man pages,
# translations, apt lists or package caches, and dpkg told to keep it that way on later installs.
trim_rootfs() {
    root=$1
    cat >"$root/etc/dpkg/dpkg.cfg.d/harness-slim" <<'EOF'
# Keep images slim: skip documentation and translations on every later install.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
    cat >"$root/etc/apt/apt.conf.d/harness-slim" <<'EOF'
# Keep images slim: no recommends, no translated lists, no downloaded .deb kept.
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
Acquire::GzipIndexes "true";
Acquire::CompressionTypes::Order:: "gz";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/groff/* \
        "$root"/usr/share/lintian/* "$root"/usr/share/linda/* "$root"/usr/share/locale/* \
        "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old \
        "$root"/var/lib/dpkg/*-old "$root"/var/log/* "$root"/tmp/* "$root"/root/.cache
    # Only the C locale stays; the i18n sources and charmaps are for building other locales.
    rm -rf "$root"/usr/share/i18n "$root"/usr/lib/locale/*
}

make_base_image() {
    if docker image inspect "$BASE_TAG" >/dev/null 2>&1; then
        say "base image $BASE_TAG already present"
        return
    fi
    mirror=$(debian_mirror)
    if [ -z "$mirror" ]; then
        say "no Debian mirror for suite $SUITE in apt sources; set HARNESS_DEBIAN_MIRROR"
        exit 1
    fi
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    say "debootstrap $SUITE from $mirror"
    debootstrap --variant=minbase "$SUITE" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
        || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
    trim_rootfs "$work/rootfs"
    say "importing $(du -sh "$work/rootfs" | cut -f1) rootfs as $BASE_TAG"
    tar --numeric-owner -C "$work/rootfs" -c . \
        | docker import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' - "$BASE_TAG" >/dev/null
    rm -rf "$work"
    trap - EXIT
    say "base image $BASE_TAG made"
}

install_missing
start_engine
make_base_image
