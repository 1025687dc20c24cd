# Sourced by ./gptq4j, ./run-tests and .ci/run: selects a JDK 25 for Maven and the JVM.
# Honours JAVA_HOME when it already points at JDK 25 or newer; otherwise looks in the usual places.
gptq4j_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p'
}
gptq4j_select_jdk() {
  local candidate
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk-arm64 \
                   /usr/lib/jvm/*25* /opt/java/openjdk /Library/Java/JavaVirtualMachines/*25*/Contents/Home; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
    local major
    major="$(gptq4j_java_major "$candidate")"
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      export JAVA_HOME="$candidate"
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  echo "gptq4j needs JDK 25 or newer; none found. Install Temurin 25 and set JAVA_HOME." >&2
  return 1
}
gptq4j_select_jdk
