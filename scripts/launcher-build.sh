# Sourced by ./gptq4j and samples/run: gptq4j_launcher_build MODULE LABEL builds MODULE (and what it needs) when its
# launcher build is missing or older than a source, then sets GPTQ4J_CP to its classes plus its runtime class path.
# The launchers build into each module's target/launcher/ (the gptq4j.buildFolder property), never into the target/
# folders that ./run-tests or an IDE may be using at the same time, and the stamp is that build's classpath.txt,
# touched after each build. Generated sources and build outputs (any target/ folder) are not inputs.
gptq4j_launcher_build() {
  local module="$1" label="$2" root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  local out="$root/$module/target/launcher" stamp="$root/$module/target/launcher/classpath.txt"
  if [ ! -f "$stamp" ] || [ -n "$(find "$root" \( -path "$root/.git" -o -name target \) -prune -o \
      \( -name '*.java' -o -name '*.c' -o -name '*.h' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) \
      -newer "$stamp" -print -quit)" ]; then
    echo "$label: building (first run or sources changed)..." >&2
    local log
    log="$(mktemp)"
    if ! (cd "$root" && mvn -B -ntp -DskipTests -Dgptq4j.buildFolder=target/launcher package -pl "$module" -am \
          >"$log" 2>&1); then
      cat "$log" >&2; rm -f "$log"; echo "$label: build failed (log above)" >&2; return 1
    fi
    rm -f "$log"
    touch "$stamp" # build-classpath leaves an unchanged file alone: the stamp must say when the build ran
  fi
  GPTQ4J_CP="$out/classes:$(cat "$stamp")"
}
