package org.gptq4j.spring.actuate;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.springframework.boot.actuate.endpoint.EndpointId;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.web.AdditionalPathsMapper;
import org.springframework.boot.actuate.endpoint.web.WebServerNamespace;
import org.springframework.boot.health.actuate.endpoint.AdditionalHealthEndpointPath;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroup;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroupsPostProcessor;
import org.springframework.boot.health.actuate.endpoint.HttpCodeStatusMapper;
import org.springframework.boot.health.actuate.endpoint.StatusAggregator;
import org.springframework.core.env.Environment;

/**
 * Adds the {@code gptq} indicator to Spring Boot's availability probes, when they exist
 * ({@code management.endpoint.health.probes.enabled=true}, or on Kubernetes): to {@code readiness} always (a model
 * that is loading, or cannot generate, takes no traffic), and to {@code liveness} too when the model loads eagerly,
 * since then {@code gptq} is never OUT_OF_SERVICE after startup and DOWN means the engine cannot generate until
 * restarted (with lazy loading a failed or slow download must not get the process killed). A probe group whose
 * members the application configures itself ({@code management.endpoint.health.group.NAME.include}) is left alone.
 * Runs after Spring Boot's own probe post-processor, which creates the groups.
 */
public class GptqProbeGroups implements HealthEndpointGroupsPostProcessor {
    static final String MEMBER = "gptq";
    private static final String INCLUDE = "management.endpoint.health.group.%s.include";

    private final Environment environment;
    private final boolean inLiveness;

    /** @param inLiveness whether {@code gptq} joins {@code liveness} (eager loading) or only {@code readiness} */
    public GptqProbeGroups(Environment environment, boolean inLiveness) {
        this.environment = Objects.requireNonNull(environment, "environment");
        this.inLiveness = inLiveness;
    }

    @Override
    public HealthEndpointGroups postProcessHealthEndpointGroups(HealthEndpointGroups groups) {
        Map<String, HealthEndpointGroup> named = new LinkedHashMap<>();
        boolean changed = false;
        for (String name : groups.getNames()) {
            HealthEndpointGroup group = groups.get(name);
            if (joins(name) && !group.isMember(MEMBER)) {
                group = new WithGptq(group);
                changed = true;
            }
            named.put(name, group);
        }
        return changed ? new Groups(groups, named) : groups;
    }

    private boolean joins(String group) {
        boolean probe = group.equals("readiness") || (inLiveness && group.equals("liveness"));
        return probe && !environment.containsProperty(INCLUDE.formatted(group));
    }

    /**
     * The groups, some with {@code gptq} added; still the {@link AdditionalPathsMapper} that Spring Boot's groups are
     * (the probes' {@code /livez} and {@code /readyz} on the main port).
     */
    private record Groups(HealthEndpointGroups original, Map<String, HealthEndpointGroup> named)
            implements HealthEndpointGroups, AdditionalPathsMapper {
        @Override
        public HealthEndpointGroup getPrimary() {
            return original.getPrimary();
        }

        @Override
        public Set<String> getNames() {
            return named.keySet();
        }

        @Override
        public HealthEndpointGroup get(String name) {
            return named.get(name);
        }

        @Override
        public List<String> getAdditionalPaths(EndpointId endpointId, WebServerNamespace webServerNamespace) {
            return original instanceof AdditionalPathsMapper mapper
                    ? mapper.getAdditionalPaths(endpointId, webServerNamespace) : null;
        }
    }

    /** The group as it was, with {@code gptq} as one more member. */
    private record WithGptq(HealthEndpointGroup group) implements HealthEndpointGroup {
        @Override
        public boolean isMember(String name) {
            return MEMBER.equals(name) || group.isMember(name);
        }

        @Override
        public boolean showComponents(SecurityContext securityContext) {
            return group.showComponents(securityContext);
        }

        @Override
        public boolean showDetails(SecurityContext securityContext) {
            return group.showDetails(securityContext);
        }

        @Override
        public StatusAggregator getStatusAggregator() {
            return group.getStatusAggregator();
        }

        @Override
        public HttpCodeStatusMapper getHttpCodeStatusMapper() {
            return group.getHttpCodeStatusMapper();
        }

        @Override
        public AdditionalHealthEndpointPath getAdditionalPath() {
            return group.getAdditionalPath();
        }
    }
}
