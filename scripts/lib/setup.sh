# Shared setup for the scripts: installs the Debian packages the package builds against.
# Sourced, not run. Needs root (or sudo) only when something is missing.

ensure_system_packages() {
    local needed=(libopenblas-dev zlib1g-dev pkg-config)
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
