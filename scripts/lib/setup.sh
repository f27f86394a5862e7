# Shared setup for the scripts: installs the Debian packages the package builds against.
# Sourced, not run. Needs root (or sudo) only when something is missing.

ensure_system_packages() {
    local needed=(libopenblas-dev zlib1g-dev libxgboost-dev libopenmpi-dev openmpi-bin pkg-config)
    local missing=()
    for package in "${needed[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "Installing system packages: ${missing[*]}" >&2
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
    fi
    command -v swift >/dev/null || { echo "error: swift is not on PATH (install the Swift toolchain)" >&2; return 1; }
}

# Best effort: the Python packages the interoperability tests use (safetensors, numpy, and
# xgboost 1.7.4, the version of Debian's libxgboost-dev). Without them (no python3, no pip, no
# network) those tests are skipped and say why.
ensure_python_test_packages() {
    command -v python3 >/dev/null || { echo "note: no python3; the Python interoperability tests will be skipped" >&2; return 0; }
    python3 -c "import safetensors.numpy, numpy, xgboost" 2>/dev/null && return 0
    local packages=(safetensors numpy "xgboost==1.7.4")
    echo "Installing Python packages for the interoperability tests: ${packages[*]}" >&2
    python3 -m pip install --quiet "${packages[@]}" >&2 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages "${packages[@]}" >&2 \
        || echo "note: could not install ${packages[*]}; the Python interoperability tests will be skipped" >&2
    return 0
}
