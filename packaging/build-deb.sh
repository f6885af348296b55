#!/usr/bin/env bash
# Build lwsyslog's Debian package from this checkout (see packaging/README.md):
#   bash packaging/build-deb.sh          writes dist/lwsyslog_<version>_<arch>.deb, prints its path
#   bash packaging/build-deb.sh --reuse  keeps dist/'s package if it was built from the same
#                                        sources (what the tests run)
# Build tools installed when missing (needs root then): dpkg-dev, python3-venv, python3-dev,
# gcc (for a dependency without a wheel for this machine; anything compiled is compiled here,
# so target hosts need no compiler). The venv is filled from PyPI (pip as configured on this
# machine).
# Environment: PYTHON (default /usr/bin/python3, Debian's interpreter: the package depends on
# it), LINTIAN=1 also runs lintian on the package (installing it when missing).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
packaging=$repo/packaging
prefix=/opt/lwsyslog
venv_final=$prefix/venv
# The files whose content makes the package; a change to any of them means a new build.
sources=(lwsyslog pyproject.toml README.md packaging)

log() { echo "build-deb: $*" >&2; }
die() {
  echo "build-deb: error: $*" >&2
  exit 1
}

reuse=""
for arg in "$@"; do
  case "$arg" in
    --reuse) reuse=1 ;;
    -h | --help)
      sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "usage: bash packaging/build-deb.sh [--reuse]" >&2
      exit 2
      ;;
  esac
done

# --- build tools ------------------------------------------------------------------------------
build_tools=(dpkg-dev python3-venv python3-dev gcc)
missing=()
for package in "${build_tools[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing build tools: ${missing[*]} (apt-get install them as root)"
  log "installing build tools: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null
fi

python=$(realpath "${PYTHON:-/usr/bin/python3}")
version=$("$python" -c \
  'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' \
  "$repo/pyproject.toml")
changelog=$packaging/debian/changelog
changelog_version=$(dpkg-parsechangelog -l "$changelog" -SVersion)
[ "$version" = "$changelog_version" ] ||
  die "pyproject.toml says $version but $changelog starts at $changelog_version: add an entry"
arch=$(dpkg --print-architecture)
pyver=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
deb=$repo/dist/lwsyslog_${version}_${arch}.deb
stamp=$deb.source

# A digest of the sources as they are on disk (committed or not) and of the interpreter.
source_key() {
  git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1 || return 1
  (
    cd "$repo"
    git ls-files -co --exclude-standard -- "${sources[@]}" | LC_ALL=C sort -u |
      while IFS= read -r path; do [ -f "$path" ] && printf '%s\n' "$path"; done >"$work/files"
    paste -d' ' "$work/files" <(git hash-object --stdin-paths <"$work/files")
    "$python" --version
    echo "$arch"
  ) | sha256sum | cut -d' ' -f1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/lwsyslog-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
key=$(source_key) || key=""
if [ -n "$reuse" ] && [ -n "$key" ] && [ -f "$deb" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]
then
  log "reusing $deb (built from these sources)"
  echo "$deb"
  exit 0
fi

SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$changelog" -STimestamp)
export SOURCE_DATE_EPOCH PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# dpkg-shlibdeps wants the tree at debian/PACKAGE beside a debian/control.
root=$work/debian/lwsyslog
venv=$root$venv_final
log "lwsyslog $version for $arch, Python $pyver ($python), in $work"

# --- the venv ---------------------------------------------------------------------------------
# Built from a clean copy of the sources: an old build/ directory in the checkout cannot leak in.
mkdir -p "$work/src"
if [ -n "$key" ]; then
  (cd "$repo" && git ls-files -z -co --exclude-standard |
    while IFS= read -r -d '' path; do [ -e "$path" ] && printf '%s\0' "$path"; done) |
    tar -C "$repo" --null -T - -cf - | tar -C "$work/src" -xf -
else
  tar -C "$repo" --exclude=./.venv --exclude=./dist --exclude=./build -cf - . |
    tar -C "$work/src" -xf -
fi
# The venv is built at ROOT/opt/lwsyslog/venv, then every place that names that path is
# rewritten to /opt/lwsyslog/venv (and checked below). Its python links to /usr/bin/pythonX.Y,
# the interpreter the package depends on.
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --no-cache-dir --no-compile --use-pep517 "$work/src[sigma]"
# Then again with the per-line modules compiled to C by mypyc (setup.py): mypyc type-checks
# against the dependencies just installed, so it builds in this venv without isolation; mypy
# itself stays in $work/mypyc, out of the package (the compiled modules do not need it).
"$venv/bin/python" -m pip install -q --no-cache-dir --no-compile --target "$work/mypyc" \
  mypy 'setuptools>=70.1'
LWSYSLOG_COMPILE=1 PYTHONPATH=$work/mypyc "$venv/bin/python" -m pip install -q --no-cache-dir \
  --no-compile --no-build-isolation --no-deps --force-reinstall "$work/src"
"$venv/bin/python" -m pip install -q --no-cache-dir --no-compile --target "$work/tools" \
  argparse-manpage shtab

said=$("$venv/bin/lwsyslog" --version)
[ "$said" = "lwsyslog $version" ] ||
  die "lwsyslog --version says '$said' but pyproject.toml $version (lwsyslog/__init__.py?)"

# --- files generated from the program ---------------------------------------------------------
PYTHONPATH=$work/tools "$venv/bin/python" "$packaging/gen_docs.py" "$root" "$version"
gzip -9n "$root"/usr/share/man/man1/*.1
"$venv/bin/python" "$packaging/gen_conffile.py" \
  "$venv/lib/python$pyver/site-packages/lwsyslog/data/defaults.toml" \
  "$root/etc/lwsyslog/lwsyslog.toml" "$version"
install -d "$root/etc/lwsyslog/lwsyslog.d"
install -D -m 0644 "$packaging/debian/logrotate" "$root/etc/logrotate.d/lwsyslog"
# The daily report (lwsyslog report --mail), installed disabled: it needs an e-mail channel.
install -D -m 0644 -t "$root/lib/systemd/system" \
  "$packaging/systemd/lwsyslog-report.service" "$packaging/systemd/lwsyslog-report.timer"

# --- the venv made final ----------------------------------------------------------------------
# No pip in the package: files installed into the venv by hand would be nobody's to remove.
"$venv/bin/python" -m pip uninstall -q -y pip setuptools
rm -f "$venv"/bin/activate* "$venv"/bin/Activate.ps1
find "$venv" -name direct_url.json -delete
for script in "$venv"/bin/*; do
  [ -f "$script" ] && [ ! -L "$script" ] || continue
  sed -i "1s|^#!$venv/bin/|#!$venv_final/bin/|" "$script"
done
sed -i "s|$venv|$venv_final|g" "$venv/pyvenv.cfg"
# Symbols and debug information out of the extensions (as dh_strip does); libraries a wheel
# bundles in NAME.libs/ are left alone (auditwheel patched them). Every extension must still
# load afterwards.
find "$venv" -type f -name '*.so*' -not -path '*.libs/*' -exec \
  strip --remove-section=.comment --remove-section=.note --strip-unneeded {} +
"$venv/bin/python" "$packaging/check_extensions.py" || die "an extension does not load"
# Nothing in site-packages is run directly (console scripts are in bin/).
find "$venv/lib" -type f -perm /111 -not -name '*.so*' -exec chmod a-x {} +
bad_paths=$(find "$venv" -type f -name '*.so*' -exec sh -c \
  'objdump -p "$1" | awk -v f="$1" "/RPATH|RUNPATH/ && \$2 !~ /^\\\$ORIGIN/ {print f\": \"\$2}"' \
  _ {} \;)
[ -z "$bad_paths" ] || die "extensions search libraries outside the venv: $bad_paths"

doc=$root/usr/share/doc/lwsyslog
install -d "$doc"
install -m 0644 "$packaging/debian/copyright" "$doc/copyright"
gzip -9nc "$changelog" >"$doc/changelog.gz"
gzip -9nc "$repo/README.md" >"$doc/README.md.gz"
"$venv/bin/python" "$packaging/gen_bundled.py" "$doc/bundled-python-packages.txt"
install -D -m 0644 "$packaging/debian/lintian-overrides" "$root/usr/share/lintian/overrides/lwsyslog"

install -d "$root/usr/bin"
for command in lwsyslog lwsyslog-omprog; do
  [ -x "$venv/bin/$command" ] || die "the venv has no $command console script"
  ln -s "$venv_final/bin/$command" "$root/usr/bin/$command"
done

# Byte code ships with the package, so nothing writes __pycache__ under /opt at run time (files
# dpkg would not know). Hash-based .pyc files do not depend on file times: reproducible.
find "$root" -name __pycache__ -type d -prune -exec rm -rf {} +
"$venv/bin/python" -m compileall -q -j0 --invalidation-mode checked-hash -s "$root" -p / \
  "$venv/lib" >"$work/compileall.log" || die "compileall failed: $(tail -5 "$work/compileall.log")"

leaked=$(grep -rlF -- "$work" "$root" || true)
[ -z "$leaked" ] || die "these files still name the build directory: $leaked"
chmod -R go-w "$root"
find "$root" -type d -exec chmod 0755 {} +
find "$root" -newermt "@$SOURCE_DATE_EPOCH" -print0 |
  xargs -0r touch --no-dereference --date="@$SOURCE_DATE_EPOCH"

# --- control files ----------------------------------------------------------------------------
printf 'Source: lwsyslog\n\nPackage: lwsyslog\nArchitecture: any\n' >"$work/debian/control"
mapfile -t objects < <(cd "$work" && find debian/lwsyslog -type f -name '*.so*' | LC_ALL=C sort)
shlibs=$(cd "$work" && dpkg-shlibdeps -O "${objects[@]}" 2>"$work/shlibdeps.log" |
  sed -n 's/^shlibs:Depends=//p') || die "dpkg-shlibdeps: $(cat "$work/shlibdeps.log")"
[ -n "$shlibs" ] || die "dpkg-shlibdeps found no library dependencies"

install -d -m 0755 "$root/DEBIAN"
install -m 0755 "$packaging/debian/postinst" "$packaging/debian/postrm" "$root/DEBIAN/"
printf '/etc/lwsyslog/lwsyslog.toml\n/etc/logrotate.d/lwsyslog\n' >"$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
  xargs -0 md5sum) >"$root/DEBIAN/md5sums"
installed_size=$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)
maintainer=$(dpkg-parsechangelog -l "$changelog" -SMaintainer)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
  -e "s|@INSTALLED_SIZE@|$installed_size|" -e "s|@PYTHON@|python$pyver|" -e "s|@SHLIBS@|$shlibs|" \
  "$packaging/debian/control.in" >"$root/DEBIAN/control"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

# --- the package ------------------------------------------------------------------------------
mkdir -p "$repo/dist"
rm -f "$stamp"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
[ -z "$key" ] || echo "$key" >"$stamp"
log "built $deb: $(du -k "$deb" | cut -f1) KiB, installs $installed_size KiB, ${SECONDS}s"

if [ "${LINTIAN:-}" = 1 ]; then
  if ! command -v lintian >/dev/null; then
    [ "$(id -u)" -eq 0 ] || die "LINTIAN=1: lintian is not installed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends lintian \
      >/dev/null
  fi
  lintian --info "$deb" >&2 || die "lintian found errors"
fi
echo "$deb"
