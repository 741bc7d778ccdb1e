# Runs every check script against a layer unpacked at /opt in the bare
# runtime stand-in, with only the platform's environment (the Lambda image's
# PATH, which functions see too: awsdocs/aws-lambda-developer-guide#89, and
# LD_LIBRARY_PATH) and the interpreter Lambda runs, /var/lang/bin/python3.X;
# one PASS/FAIL line per script in /result.txt (the build itself never fails
# on a check).
ARG RUNTIME_IMAGE=public.ecr.aws/lambda/python:3.11
FROM ${RUNTIME_IMAGE} AS run
ARG PYVER=3.11
COPY layer/ /opt/
COPY checks/ /checks/
RUN for c in /checks/check_*.py; do \
      n=$(basename "$c" .py); \
      if env -i PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin \
           LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib \
           PYTHONPATH=/opt/python/lib/python$PYVER/site-packages:/opt/python \
           /var/lang/bin/python$PYVER "$c" >"/tmp/$n.log" 2>&1; then echo "PASS $n"; \
      else echo "FAIL $n: $(tail -n 1 /tmp/$n.log)"; fi; \
    done >/result.txt
FROM scratch
COPY --from=run /result.txt /
