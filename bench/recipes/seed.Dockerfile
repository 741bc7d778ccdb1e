# The seed recipe users copy today (issue #4/#7 baseline), as a plain
# Dockerfile on the same buildkitd: pip --platform for every manylinux_2_x
# tag up to the runtime's glibc, --target, the usual find deletions, GNU
# strip --strip-unneeded on every *.so. bench/sizes.sh zips the result with
# zip -r9. For linux/arm64 it runs in the emulated arm64 build image (GNU
# strip is native-only), the way users run it.
ARG BUILD_IMAGE=public.ecr.aws/sam/build-python3.11
FROM ${BUILD_IMAGE} AS build
ARG INDEX_URL
ARG PYVER=3.11
ARG GLIBC_MINOR=36
ARG REQUIREMENTS
ENV PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
RUN arch=$(uname -m); floor=17; [ "$arch" = x86_64 ] && floor=5; plats=""; \
    for m in $(seq "$floor" "$GLIBC_MINOR"); do plats="$plats --platform manylinux_2_${m}_${arch}"; done; \
    abi=cp$(echo "$PYVER" | tr -d .); \
    pip install --no-cache-dir --target /layer/python/lib/python$PYVER/site-packages \
      --only-binary=:all: --implementation cp --python-version "$PYVER" --abi "$abi" $plats \
      --index-url "$INDEX_URL" $REQUIREMENTS
ARG EXTRA_PRUNE=__none__
RUN cd /layer && find . \( -name tests -o -name __pycache__ -o -name '*.dist-info' -o -path "./$EXTRA_PRUNE" \) -prune -exec rm -rf {} + \
 && find /layer -name '*.so' -type f -exec strip --strip-unneeded {} +
FROM scratch AS tree
COPY --from=build /layer /

# zip -r9 equivalent inside the build (the build images have no zip binary):
# deflate level 9, sorted entries, symlinks kept, fixed times.
FROM build AS zipped
RUN python3 -c 'import os, stat, zipfile; z = zipfile.ZipFile("/layer.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=9); \
[(lambda p, a: z.write(p, a) if not os.path.islink(p) else z.writestr(zipfile.ZipInfo(a, (1980, 1, 1, 0, 0, 0)), os.readlink(p)))(os.path.join(r, f), os.path.relpath(os.path.join(r, f), "/layer")) \
 for r, ds, fs in sorted(os.walk("/layer")) for f in sorted(fs)]; z.close()'
FROM scratch AS zip
COPY --from=zipped /layer.zip /
