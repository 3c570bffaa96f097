using Agent.Engine;
using Agent.Http;
using Agent.Http.Proxy;

namespace Agent.Hosting;

public static class ContainerAccessExtensions
{
    /// <summary>The reverse proxy to containers (YARP's forwarder) and the files API over the engine's archive calls.</summary>
    public static IServiceCollection AddContainerAccess(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddHttpForwarder();
        services.AddOptions<ProxyOptions>().Bind(configuration.GetSection(ProxyOptions.Section));
        services.AddOptions<ContainerFileOptions>().Bind(configuration.GetSection(ContainerFileOptions.Section));
        services.AddOptions<ExecOptions>().Bind(configuration.GetSection(ExecOptions.Section));
        services.AddSingleton<ProxyClient>();
        services.AddSingleton<ProxyTargets>();
        services.AddSingleton<FileAudit>();
        services.AddSingleton(sp =>
        {
            var exec = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ExecOptions>>().Value;
            return new ExecSlots(Math.Max(1, exec.MaxConcurrentPerClient), Math.Max(1, exec.MaxConcurrent));
        });
        services.AddSingleton(sp => (IContainerFilesystem)sp.GetRequiredService<IContainerEngine>());
        return services;
    }

    public static RouteGroupBuilder MapContainerAccessEndpoints(this RouteGroupBuilder api) =>
        api.MapProxyEndpoints().MapContainerFileEndpoints().MapContainerProcessEndpoints();
}
