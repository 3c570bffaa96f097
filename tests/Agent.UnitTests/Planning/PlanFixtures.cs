using Agent.Core.Model;
using Agent.Core.Planning;

namespace Agent.UnitTests.Planning;

/// <summary>Groups, services and observed containers for planner tests: group "g", instance "i1", a fixed clock.</summary>
internal static class PlanFixtures
{
    public static readonly AgentLabels Labels = new("i1");
    public static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    public static ServiceSpec Service(string name, int replicas = 1, Action<ServiceSpecBuilder>? configure = null)
    {
        var builder = new ServiceSpecBuilder(name, replicas);
        configure?.Invoke(builder);
        return builder.Build();
    }

    public static ServiceGroup Group(params ServiceSpec[] services) => GroupWith(new ServiceGroupSpec { Services = services });

    public static ServiceGroup GroupWith(ServiceGroupSpec spec) => new(
        new ObjectMetadata("g", new Dictionary<string, string>(), new Dictionary<string, string>()), spec, new SourceLocation("g.yaml", 1, 1));

    public static string Hash(ServiceSpec s) => SpecHash.Of(s.Container, ContainerNames.Network("g"));

    public static ObservedContainer Running(ServiceSpec s, int replica, string? hash = null) =>
        new($"id-{s.Name}-{replica}", $"g-{s.Name}-{replica}", s.Name, replica, hash ?? Hash(s), ContainerState.Running, HealthState.None);

    public static ObservedState Observed(params ObservedContainer[] containers) => new(containers,
        [new ObservedNetwork("net-g", "g_default")], new HashSet<string>());

    public static string PlanText(ServiceGroup? desired, ObservedState observed, Func<PlanInput, PlanInput>? adjust = null)
    {
        var input = new PlanInput(new ObjectKey("ServiceGroup", "g"), desired, observed, Labels, Now);
        return Planner.PlanGroup(adjust?.Invoke(input) ?? input).ToString();
    }
}

internal sealed class ServiceSpecBuilder(string name, int replicas)
{
    private ContainerSpec container = new() { Image = "busybox:1.35", Command = ["sleep", "1d"], Restart = RestartPolicy.Always };
    private UpdatePolicy update = UpdatePolicy.Default;
    private readonly List<ServiceDependency> dependsOn = [];

    public ServiceSpecBuilder Healthy()
    {
        container = container with { Healthcheck = new HealthcheckSpec(["CMD", "true"], TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 3, TimeSpan.Zero) };
        return this;
    }

    public ServiceSpecBuilder StartFirst(bool rollback)
    {
        update = update with { Strategy = UpdateStrategy.StartFirst, RollbackOnFailure = rollback };
        return this;
    }

    public ServiceSpecBuilder StopFirst(bool rollback)
    {
        update = update with { Strategy = UpdateStrategy.StopFirst, RollbackOnFailure = rollback };
        return this;
    }

    public ServiceSpecBuilder Restart(RestartMode mode, int maxRetries = 0)
    {
        container = container with { Restart = new RestartPolicy(mode, maxRetries) };
        return this;
    }

    public ServiceSpecBuilder Stop(string signal, TimeSpan grace)
    {
        container = container with { StopSignal = signal, StopGracePeriod = grace };
        return this;
    }

    public ServiceSpecBuilder Volume(string volume, string target)
    {
        container = container with { Mounts = [.. container.Mounts, new MountSpec(MountType.Volume, $"g_{volume}", target)] };
        return this;
    }

    public ServiceSpecBuilder Env(string key, string value)
    {
        container = container with { Env = new SortedDictionary<string, string>(container.Env.ToDictionary()) { [key] = value } };
        return this;
    }

    public ServiceSpecBuilder Built(string contextDigest)
    {
        container = container with { Image = "g-" + name, Build = new BuildSpec { Context = "/m/" + name, ContextDigest = contextDigest } };
        return this;
    }

    public ServiceSpecBuilder DependsOn(string service, DependencyCondition condition)
    {
        dependsOn.Add(new ServiceDependency(service, condition));
        return this;
    }

    public ServiceSpec Build() => new() { Name = name, Replicas = replicas, Container = container, Update = update, DependsOn = dependsOn };
}
