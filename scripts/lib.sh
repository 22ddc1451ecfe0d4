# lib.sh: what the set-up scripts share. Source it after setting
# LOG_PREFIX (the script's name, shown before every message).

# log writes a message to standard error.
log() { printf '%s: %s\n' "${LOG_PREFIX:-setup}" "$*" >&2; }

# as_root runs a command as root, through sudo when we are not root.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		log "need root to run: $*"
		return 1
	fi
}

# apt_install installs Debian packages, without recommends or questions.
apt_install() {
	as_root apt-get update -q
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}
