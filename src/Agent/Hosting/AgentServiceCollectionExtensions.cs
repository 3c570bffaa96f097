using Agent.Core.Model;
using Agent.Engine;
using Agent.Reconciliation;
using Agent.Sources;
using Agent.Status;
using Microsoft.Extensions.Options;

namespace Agent.Hosting;

public static class AgentServiceCollectionExtensions
{
    /// <summary>Registers the engine adapter, the label contract and the probes.</summary>
    public static IServiceCollection AddAgent(this IServiceCollection services, IConfiguration configuration)
    {
        DurationConverter.Register();
        services.AddOptions<AgentOptions>().Bind(configuration.GetSection(AgentOptions.Section)).PostConfigure(o => CommaLists.Split(o, configuration.GetSection(AgentOptions.Section)));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new RegistryCredentialFiles(sp.GetRequiredService<IOptions<AgentOptions>>().Value.Registries
            .Select(r => new RegistryFiles(r.Server, r.UsernameFile, r.PasswordFile))));
        services.AddSingleton<IContainerEngine>(sp => DockerEngine.FromEnvironment(sp.GetRequiredService<IOptions<AgentOptions>>().Value.DockerHost,
            sp.GetRequiredService<RegistryCredentialFiles>(), sp.GetRequiredService<IOptions<AgentOptions>>().Value.LabelPrefix,
            sp.GetRequiredService<IOptions<AgentOptions>>().Value.EngineRequestTimeout));
        services.AddSingleton<Tasks.TaskStore>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<AgentOptions>>().Value;
            return new AgentLabels(InstanceIdentity.Resolve(options), options.LabelPrefix);
        });
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<AgentOptions>>().Value;
            return options.Policy(SecuritySettings.ListenUrls(sp.GetRequiredService<IConfiguration>()));
        });
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<AgentOptions>>().Value;
            return new ManifestFolder(options.Manifests, options.Limits, options.MaxManifestFileBytes)
            {
                Absent = options.ManifestsAbsent(), SecretFiles = options.SecretFiles(),
                MountsFile = string.IsNullOrEmpty(options.StateDir) ? null : Path.Combine(options.StateDir, ManifestFolder.MountsFileName),
            };
        });
        services.AddSingleton(sp => new ManifestIndex(sp.GetRequiredService<IOptions<AgentOptions>>().Value.StateDir));
        services.AddSingleton<HostPlacement>();
        services.AddSingleton<GitCheckouts>();
        services.AddSingleton<GitBindStore>();
        services.AddSingleton<GitDocuments>();
        services.AddSingleton(sp => new GitProcesses(Path.Combine(sp.GetRequiredService<GitCheckouts>().Root, ".running"), sp.GetRequiredService<ILogger<GitProcesses>>()));
        services.AddSingleton(sp =>
        {
            var policy = sp.GetRequiredService<Core.Security.SecurityPolicy>().Options;
            return new GitCli(Path.Combine(sp.GetRequiredService<GitCheckouts>().Root, ".home"), sp.GetRequiredService<GitProcesses>(),
                (file, sent) => Core.Security.CredentialFileRules.Problem(file, policy, ManifestFolder.Resolve, sent));
        });
        services.AddSingleton(sp => new GitLimits(sp.GetRequiredService<IOptions<AgentOptions>>().Value.Git.MaxBytes));
        services.AddSingleton<GitLocalSlots>();
        services.AddSingleton<GitFetcher>();
        services.AddSingleton<GitRepositoryStatusStore>();
        services.AddSingleton<GitSyncService>();
        services.AddHostedService(sp => sp.GetRequiredService<GitSyncService>());
        services.AddSingleton<ManifestStore>();
        services.AddSingleton(sp => State.StateDirLock.Acquire(sp.GetRequiredService<IOptions<AgentOptions>>().Value.StateDir));
        services.AddSingleton(sp => new State.InstanceLock(State.StateDirLock.AcquireInstance(sp.GetRequiredService<AgentLabels>())));
        services.AddSingleton(sp => new State.StateDirWatch(sp.GetRequiredService<State.StateDirLock>, sp.GetRequiredService<IOptions<AgentOptions>>().Value.StateDir,
            sp.GetRequiredService<ILogger<State.StateDirWatch>>()));
        services.AddHostedService(sp => sp.GetRequiredService<State.StateDirWatch>());
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<AgentOptions>>().Value;
            return Core.Sources.PruneGuard.Parse(options.PruneGuard, options.PruneGuardMinimum);
        });
        services.AddSingleton<PruneGate>();
        services.AddSingleton(sp => new RuntimeOverrides(sp.GetRequiredService<IOptions<AgentOptions>>().Value.StateDir,
            sp.GetRequiredService<ILogger<RuntimeOverrides>>()));
        services.AddSingleton(sp => new ComposeAdoptions(sp.GetRequiredService<IOptions<AgentOptions>>().Value.StateDir,
            sp.GetRequiredService<ILogger<ComposeAdoptions>>()));
        services.AddSingleton(sp => new State.UnsavedRecords(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<State.UnsavedRecords>>()));
        services.AddSingleton(sp => new UserStops(sp.GetRequiredService<IOptions<AgentOptions>>().Value.StateDir, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<UserStops>>(), sp.GetRequiredService<State.UnsavedRecords>()));
        services.AddSingleton<EngineStartStops>();
        services.AddSingleton<EngineStopJudge>();
        services.AddSingleton<StartedStops>();
        services.AddSingleton<Http.StartRules>();
        services.AddSingleton(sp => new FirstSeen(sp.GetRequiredService<IOptions<AgentOptions>>().Value.StateDir, sp.GetRequiredService<ILogger<FirstSeen>>()));
        services.AddSingleton<StatusStore>();
        services.AddSingleton<StatusView>();
        services.AddSingleton(sp => new HealthTracker(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<AgentOptions>>().Value.StateDir,
            sp.GetRequiredService<State.UnsavedRecords>()));
        services.AddSingleton<OwnCreates>();
        services.AddSingleton<VolumeNameLocks>();
        services.AddSingleton<ObservedCache>();
        services.AddSingleton<EngineObserver>();
        services.AddSingleton<Admission.BindMountGuard>();
        services.AddSingleton<Admission.ContainerAdmission>();
        services.AddSingleton(sp => new Admission.BindSourceFolders(sp.GetRequiredService<IOptions<AgentOptions>>().Value.StateDir,
            sp.GetRequiredService<ILogger<Admission.BindSourceFolders>>()));
        services.AddSingleton<ImageBuilder>();
        services.AddSingleton<PlanExecutor>();
        services.AddSingleton(new Admission.HostNetworks());
        services.AddSingleton(sp => new RolledBackUpdates(sp.GetRequiredService<IOptions<AgentOptions>>().Value.StateDir, sp.GetRequiredService<ILogger<RolledBackUpdates>>()));
        services.AddSingleton<Reconciler>();
        services.AddSingleton<WorkQueue>();
        services.AddSingleton<ControllerState>();
        services.AddHostedService<ControllerService>();
        services.AddHostedService<InterruptedRuns>();
        services.AddSingleton(sp => new Jobs.JobHistoryStore(sp.GetRequiredService<IOptions<AgentOptions>>().Value.StateDir,
            sp.GetRequiredService<ILogger<Jobs.JobHistoryStore>>(), sp.GetRequiredService<State.UnsavedRecords>()));
        services.AddSingleton<Jobs.JobEngine>();
        services.AddSingleton<Jobs.JobRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<Jobs.JobRunner>());

        services.AddHealthChecks()
            .AddCheck<EngineHealthCheck>("engine", tags: [ProbeTags.Ready])
            .AddCheck<StateDirHealthCheck>("state", tags: [ProbeTags.Ready])
            .AddCheck<StateRecordsHealthCheck>("records", tags: [ProbeTags.Ready])
            .AddCheck<ManifestFolderHealthCheck>("manifests", tags: [ProbeTags.Ready])
            .AddCheck<FirstSyncHealthCheck>("sync", tags: [ProbeTags.Ready])
            .AddCheck<GitSourcesHealthCheck>("sources", tags: [ProbeTags.Ready])
            .AddCheck<ReconcileLoopHealthCheck>("reconcile-loop", tags: [ProbeTags.Live]);
        services.AddHostedService<ReadyLogger>();
        services.AddSingleton<Http.ApiActivity>();
        services.AddHostedService<MemoryRelease>();
        return services;
    }
}
