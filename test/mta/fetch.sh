#!/usr/bin/env bash
# Real Postfix and Exim next to Debian's sendmail-bin. The three packages conflict (each
# provides mail-transport-agent), so Postfix and Exim are not installed: their Debian
# packages are downloaded (apt-get download) and unpacked (dpkg -x) into a cache in this
# checkout, and test/mta/run.sh runs them with that tree laid over /usr.
#
#   test/mta/fetch.sh [postfix] [exim]      (both when none is named)
#
# For each MTA the cache ($BROKEN_MTA_MTA_CACHE, default .mta/ in the checkout) gains a
# folder, postfix/ or exim/, holding:
#   root/     the packages' files: Postfix from postfix; Exim from exim4-base,
#             exim4-daemon-light, exim4-config and libidn12 (a library exim4 needs that
#             sendmail does not pull in)
#   stock/    Debian's stock configuration, as the packages' maintainer scripts write it on
#             a non-interactive install of a host named client.example.test: Postfix's
#             main.cf and master.cf ("Internet Site"), Exim's exim4.conf (update-exim4.conf's
#             output for the default "local delivery only" answers)
#   VERSION   the package versions, written last: a second run finds it and returns at once
#
# It also creates the users and groups the maintainer scripts create, when missing
# (postfix, postdrop; Debian-exim): the binaries look them up at start. Run it as root;
# under `flock /tmp/broken-mta-system.lock` when another run may be touching users too.
# Postfix's postdrop and postqueue get the set-gid postdrop bits Debian's postinst gives
# them (dpkg -x leaves them out).
#
# Exit status: 0 when everything is in place, 1 when something could not be fetched or
# made (one line on stderr says what), 2 on bad input.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

repo=$(cd "$(dirname "$0")/../.." && pwd)
cache=${BROKEN_MTA_MTA_CACHE:-$repo/.mta}

mtas=("$@")
[ ${#mtas[@]} -gt 0 ] || mtas=(postfix exim)
for mta in "${mtas[@]}"; do
  case $mta in postfix | exim) ;; *) echo "usage: $0 [postfix] [exim]" >&2; exit 2 ;; esac
done

fail() { echo "test/mta/fetch.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "must run as root (it creates the MTAs' users and set-gid files)"
for tool in apt-get dpkg useradd groupadd flock; do
  command -v "$tool" >/dev/null || fail "$tool is missing (a Debian machine is needed)"
done

packages_of() {
  case $1 in
    postfix) echo postfix ;;
    exim) echo exim4-base exim4-daemon-light exim4-config libidn12 ;;
  esac
}

ensure_group() { getent group "$1" >/dev/null || groupadd --system "$1"; }
ensure_user() { # $1 user, $2 home, as adduser --system --group does it
  ensure_group "$1"
  getent passwd "$1" >/dev/null ||
    useradd --system --gid "$1" --home-dir "$2" --no-create-home --shell /usr/sbin/nologin "$1"
}

ensure_users() {
  case $1 in
    postfix) ensure_user postfix /var/spool/postfix && ensure_group postdrop ;;
    exim) ensure_user Debian-exim /var/spool/exim4 ;;
  esac
}

# apt-get download needs package lists; a fresh machine may have none yet.
download() { # $1 folder, then package names
  local dir=$1
  shift
  (cd "$dir" && apt-get download -q -o APT::Sandbox::User=root "$@" >download.log 2>&1) && return 0
  apt-get update -qq >/dev/null 2>&1 || true
  (cd "$dir" && apt-get download -q -o APT::Sandbox::User=root "$@" >download.log 2>&1) ||
    fail "apt-get download $* failed: $(tail -n 1 "$dir/download.log")"
}

postfix_stock() { # $1 the MTA's folder
  local root=$1/root stock=$1/stock
  cat "$root/usr/share/postfix/main.cf.debian" "$root/usr/share/postfix/main.cf.tls" >"$stock/main.cf"
  cp "$root/usr/share/postfix/master.cf.dist" "$stock/master.cf"
  # What postinst then sets with postconf, with debconf's default answers for an Internet Site.
  "$repo/test/mta/run.sh" postfix postconf -c "$stock" -e \
    'smtpd_relay_restrictions=permit_mynetworks permit_sasl_authenticated defer_unauth_destination' \
    'myhostname=client.example.test' \
    'alias_maps=hash:/etc/aliases' 'alias_database=hash:/etc/aliases' \
    'mydestination=$myhostname, client.example.test, localhost.example.test, , localhost' \
    'relayhost=' 'mynetworks=127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128' \
    'mailbox_size_limit=0' 'recipient_delimiter=+' 'inet_interfaces=all' 'inet_protocols=all'
}

exim_stock() { # $1 the MTA's folder
  local root=$1/root stock=$1/stock
  mkdir -p "$stock/confdir"
  cp -r "$root/etc/exim4/." "$stock/confdir/"
  # The file exim4-config's postinst writes from debconf's default answers.
  cat >"$stock/confdir/update-exim4.conf.conf" <<'EOF'
dc_eximconfig_configtype='local'
dc_other_hostnames='client.example.test'
dc_local_interfaces='127.0.0.1 ; ::1'
dc_readhost=''
dc_relay_domains=''
dc_minimaldns='false'
dc_relay_nets=''
dc_smarthost=''
CFILEMODE='644'
dc_use_split_config='false'
dc_hide_mailname=''
dc_mailname_in_oh='true'
dc_localdelivery='mail_spool'
EOF
  # update-exim4.conf reads /etc/mailname, which only exim4-config's postinst writes; without
  # it ETC_MAILNAME is empty, which concerns local delivery only.
  "$repo/test/mta/run.sh" exim update-exim4.conf -d "$stock/confdir" -o "$stock/exim4.conf" 2>"$stock/update-exim4.conf.err" ||
    fail "update-exim4.conf failed: $(grep -v /etc/mailname "$stock/update-exim4.conf.err" | head -n 3)"
  rm -f "$stock/update-exim4.conf.err"
}

fetch() { # $1 postfix|exim
  local mta=$1 dir=$cache/$1
  ensure_users "$mta"
  [ -s "$dir/VERSION" ] && return 0
  echo "test/mta/fetch.sh: fetching $mta ($(packages_of "$mta")) into $dir" >&2
  rm -rf "$dir"
  mkdir -p "$dir/debs" "$dir/root" "$dir/stock"
  # shellcheck disable=SC2046
  download "$dir/debs" $(packages_of "$mta")
  local versions=()
  for deb in "$dir"/debs/*.deb; do
    dpkg -x "$deb" "$dir/root" || fail "dpkg -x $deb failed"
    versions+=("$(dpkg-deb -f "$deb" Package)=$(dpkg-deb -f "$deb" Version)")
  done
  rm -rf "$dir/debs"
  if [ "$mta" = postfix ]; then
    chgrp postdrop "$dir/root/usr/sbin/postdrop" "$dir/root/usr/sbin/postqueue"
    chmod 2555 "$dir/root/usr/sbin/postdrop" "$dir/root/usr/sbin/postqueue"
    postfix_stock "$dir"
  else
    exim_stock "$dir"
  fi
  printf '%s\n' "${versions[@]}" >"$dir/VERSION"
}

mkdir -p "$cache"
# Test files run side by side: one extraction at a time.
exec 9>"$cache/.lock"
flock 9
for mta in "${mtas[@]}"; do fetch "$mta"; done
