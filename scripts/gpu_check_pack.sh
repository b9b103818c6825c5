#!/usr/bin/env bash
# Fetches, here, the Debian packages that scripts/gpu_check.sh needs to build on a lent GPU
# machine that cannot download anything: the -dev packages of scripts/install_packages.sh
# (minus LibTorch 1.13 and the Python ones: the GPU machine brings its own PyTorch) and the
# libraries they depend on, minus the C/C++ runtime and what every image has (mixing another
# glibc into LD_LIBRARY_PATH would break every program). Into ./.gpu-debs/part1 and part2
# (git-ignored, each < 30 MiB: the device tool carries at most 64 MiB a call, tree included).
set -euo pipefail
cd "$(dirname "$0")/.."
DEV=(libcli11-dev libtomlplusplus-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libgtest-dev libbenchmark-dev
     libcairo2-dev libmatio-dev libutf8proc-dev libxml2-dev libdcmtk-dev libgoogle-perftools-dev
     zlib1g-dev fonts-dejavu-core)
SKIP='^(libc6|libc6-dev|libgcc-s1|libstdc\+\+6|libstdc\+\+-12-dev|gcc-12-base|libc-dev-bin|linux-libc-dev|libcrypt1|libcrypt-dev|libnsl2|libnsl-dev|libtirpc.*|libselinux1|libpcre2-8-0|zlib1g|debconf|perl-base|dpkg|tar|coreutils|libzstd1|liblzma5|libbz2-1.0|libgssapi-krb5-2|libkrb5.*|libk5crypto3|libcom-err2|libkeyutils1|libssl3|libsystemd0|libcap2|libgcrypt20|libgpg-error0|liblz4-1|libudev1|libmd0|libbsd0|libffi8|libexpat1|libuuid1|libblkid1|libmount1|libgmp10|libidn2-0|libunistring2|libtasn1-6|libp11-kit0|libnettle8|libhogweed6|libgnutls30|libsqlite3-0|libdb5.3|libaudit1|libaudit-common|libcap-ng0|libpam.*|libsemanage.*|libsepol2|libacl1|libattr1|libdebconfclient0|libncursesw6|libtinfo6|libreadline8|readline-common|sensible-utils|ucf|install-info|init-system-helpers|libgomp1|libquadmath0|libgfortran5|libatomic1|libcrypt1|cpp.*|gcc.*|g\+\+.*|binutils.*|libbinutils|libctf.*|libgprofng0|libjansson4|libisl23|libmpc3|libmpfr6|libasan8|liblsan0|libtsan2|libubsan1|libhwasan0|libitm1|libcc1-0|mawk|python3.*|libpython3.*|media-types|tzdata|netbase|perl|perl-modules.*|libperl.*|libicu-dev|icu-devtools|fonts-(?!dejavu-core).*|ttf-.*|libssl-dev|libnss3|libnspr4|libglib2.0-data|libglib2.0-bin|libglib2.0-dev-bin|xkb-data|x11-common)$'
mapfile -t closure < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
  --no-breaks --no-replaces --no-enhances --no-pre-depends "${DEV[@]}" 2>/dev/null |
  grep -E '^[a-z0-9]' | sort -u | grep -Pv "$SKIP")
rm -rf .gpu-debs && mkdir -p .gpu-debs/all && chmod 777 .gpu-debs/all
(cd .gpu-debs/all && apt-get download "${closure[@]}" >/dev/null 2>&1)
# Two halves of < 30 MB: with the ~27 MB tree, one call cannot carry both. Carry part1 in one
# call and part2 in the next (ignored paths stay on the warm machine between calls).
mkdir -p .gpu-debs/part1 .gpu-debs/part2
total=0
for f in $(ls -S .gpu-debs/all); do
  size=$(stat -c %s ".gpu-debs/all/$f")
  if [ $(( $(du -sb .gpu-debs/part1 | cut -f1) + size )) -lt $((30 << 20)) ]; then
    mv ".gpu-debs/all/$f" .gpu-debs/part1/
  else
    mv ".gpu-debs/all/$f" .gpu-debs/part2/
  fi
  total=$((total + size))
done
rmdir .gpu-debs/all
echo "gpu_check_pack: ${#closure[@]} packages, $((total >> 20)) MiB: .gpu-debs/part1 $(du -sh .gpu-debs/part1 | cut -f1), .gpu-debs/part2 $(du -sh .gpu-debs/part2 | cut -f1)"
