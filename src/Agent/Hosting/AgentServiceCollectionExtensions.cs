using Agent.Core.Model;
using Agent.Engine;
using Microsoft.Extensions.Options;

namespace Agent.Hosting;

public static class AgentServiceCollectionExtensions
{
    /// <summary>Registers the engine adapter, the label contract and the probes.</summary>
    public static IServiceCollection AddAgent(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AgentOptions>().Bind(configuration.GetSection(AgentOptions.Section));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IContainerEngine>(sp => DockerEngine.FromEnvironment(sp.GetRequiredService<IOptions<AgentOptions>>().Value.DockerHost));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<AgentOptions>>().Value;
            return new AgentLabels(InstanceIdentity.Resolve(options), options.LabelPrefix);
        });
        services.AddHealthChecks()
            .AddCheck<EngineHealthCheck>("engine", tags: [ProbeTags.Ready])
            .AddCheck<ManifestFolderHealthCheck>("manifests", tags: [ProbeTags.Ready]);
        services.AddHostedService<ReadyLogger>();
        return services;
    }
}
