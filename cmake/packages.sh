# cmake/packages.sh: the Debian 12 packages that build and test gatewarden, and the one
# function that installs the missing ones. Sourced (not run) by dev.sh and the bench/
# scripts, so that every entry point of a fresh machine installs the same set.
#
#   . cmake/packages.sh
#   gw_ensure_packages "${GW_PACKAGES[@]}" hyperfine    # the build's set plus extras

# shellcheck disable=SC2034 # used by the scripts that source this file
GW_PACKAGES=(build-essential cmake pkg-config libyaml-dev libjansson-dev libcmocka-dev libssl-dev python3
	libmicrohttpd-dev libgnutls28-dev libcurl4-openssl-dev libbpf-dev libelf-dev zlib1g-dev
	clang libclang-rt-14-dev llvm bpftool iproute2 openssl curl python3-yaml libre2-dev)

# gw_ensure_packages PKG...: apt-get install those of PKG that dpkg does not list as
# installed (through sudo when not root). Returns apt-get's status.
gw_ensure_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	echo "installing ${missing[*]}" >&2
	local sudo=()
	[[ $(id -u) -eq 0 ]] || sudo=(sudo)
	"${sudo[@]}" apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}
