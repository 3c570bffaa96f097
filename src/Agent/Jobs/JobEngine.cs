using System.Globalization;
using Agent.Core.Jobs;
using Agent.Core.Model;
using Agent.Admission;
using Agent.Engine;
using Agent.Reconciliation;

namespace Agent.Jobs;

/// <summary>The engine calls of the job runner, through the one engine adapter: start an attempt's container,
/// stop one, remove a run's containers, list a job's containers.</summary>
public sealed class JobEngine(IContainerEngine engine, AgentLabels labels, ContainerAdmission admission, BindSourceFolders bindFolders, Reconciliation.OwnCreates ownCreates,
    Reconciliation.VolumeNameLocks volumeLocks, Reconciliation.ObservedCache? cache = null)
{
    public async Task<IReadOnlyList<ContainerSummary>> ListAsync(ObjectKey key, CancellationToken ct) =>
        (await engine.ListContainersAsync(LabelSelector.ForInstance(labels).And(labels.Kind, key.Kind).And(labels.Object, key.Name), ct))
            .Where(IsRun)
            .ToList();

    /// <summary>The job's containers from the observed-state cache while it is current and holds each of
    /// <paramref name="expected"/> (a container just made may not be in it yet: its event is still on the way, and a
    /// container missing from the list ends its attempt), else one list call. What the cache has is at most an event
    /// behind the engine: an exit it has not seen yet is seen at the next look.</summary>
    public async Task<IReadOnlyList<ContainerSummary>> ListAsync(ObjectKey key, IReadOnlyCollection<string> expected, CancellationToken ct)
    {
        if (cache is { IsCurrent: true })
        {
            var cached = cache.ContainersOf(key).Where(IsRun).ToList();
            if (expected.All(id => cached.Any(c => c.Id == id))) return cached;
        }
        return await ListAsync(key, ct);
    }

    /// <summary>The heartbeat found the engine not answering, and it has not answered since.</summary>
    public bool EngineAway => cache?.EngineAway == true;

    public Task PingAsync(CancellationToken ct) => engine.PingAsync(ct);

    private bool IsRun(ContainerSummary c) => labels.IsOwned(c.Labels) && c.Labels.ContainsKey(labels.JobRun);

    /// <summary>The objects (kind and name) that job containers of this instance belong to.</summary>
    public async Task<IReadOnlySet<ObjectKey>> ListObjectKeysAsync(CancellationToken ct) =>
        (await engine.ListContainersAsync(LabelSelector.ForInstance(labels), ct))
            .Where(c => labels.IsOwned(c.Labels) && c.Labels.ContainsKey(labels.JobRun)
                && c.Labels.TryGetValue(labels.Kind, out var k) && Job.IsJobKind(k) && c.Labels.ContainsKey(labels.Object))
            .Select(c => new ObjectKey(c.Labels[labels.Kind], c.Labels[labels.Object]))
            .ToHashSet();

    /// <summary>Creates and starts a run's next attempt; null, with nothing left behind, when the job is no longer
    /// <paramref name="wanted"/> right before the create or the start (its manifest was deleted while the start was
    /// under way: the engine can be slow, and a run must not start after its object is gone).</summary>
    public async Task<JobAttempt?> StartAsync(ObjectKey key, JobRun run, JobTemplate template, string templateHash, Func<bool> wanted, CancellationToken ct)
    {
        var number = run.Attempts.Count + 1;
        var name = ContainerName(run, number);
        string id;
        ContainerCreateRequest create;
        // Its volumes' names are held from their check or create to the container's create (VolumeNameLocks): a volume
        // prune or delete waits, so it never removes one this attempt made or is about to mount (the engine would then
        // make it again at the create, without the agent's labels). The start comes after: by then the container uses them.
        using (await volumeLocks.HoldAsync(OwnVolumes.NamesOf(template.Container), ct))
        {
            if (await CreateAttemptAsync(key, run, template, templateHash, number, name, wanted, ct) is not { } made) return null;
            (id, create) = made;
        }
        if (!wanted())
        {
            await engine.RemoveContainerAsync(id, force: true, ct);
            return null;
        }
        if (await admission.StartAsync(id, () => StartCreatedAsync(new JobAttempt(number, id, name, DateTimeOffset.UtcNow), ct), ct, created: create) is { } moved)
            throw new EngineException(moved);
        return new JobAttempt(number, id, name, DateTimeOffset.UtcNow);
    }

    /// <summary>Makes the job's missing volumes and the attempt's container (not started); null when the job is no longer
    /// <paramref name="wanted"/> right before the create.</summary>
    private async Task<(string Id, ContainerCreateRequest Create)?> CreateAttemptAsync(ObjectKey key, JobRun run, JobTemplate template, string templateHash,
        int number, string name, Func<bool> wanted, CancellationToken ct)
    {
        var spec = template.Container;
        // A job's named volumes are the job's own, made with its labels before its first run (as the executor does for groups);
        // one that exists already is judged by the admission below, never adopted.
        await OwnVolumes.CreateMissingAsync(engine, spec, labels.ForObject(key), created: null, ct);
        // The same last check as every other container: the policy on the spec about to be sent, and each named volume
        // inspected (it may have been made out of band, with bind options, after the manifest was validated).
        var admitted = await admission.CheckAsync(spec, owner: null, creator: key, fromManifests: true, ct);
        if (admitted.Refused is { } refused) throw new EngineException(refused);
        spec = admitted.Spec!; // bind sources as judged
        if (bindFolders.CreateMissing(spec, key) is { } failed) throw new EngineException(failed);
        if (spec.ImagePullPolicy == PullPolicy.Always) await engine.PullImageAsync(spec.Image, null, ct);
        var runLabels = labels.ForObject(key);
        runLabels[labels.JobRun] = run.Id;
        runLabels[labels.JobAttempt] = number.ToString(CultureInfo.InvariantCulture);
        runLabels[labels.JobTrigger] = run.Trigger;
        runLabels[labels.JobStart] = run.Start.ToString("O", CultureInfo.InvariantCulture);
        runLabels[labels.JobTemplateHash] = templateHash;
        if (run.ScheduledTime is { } scheduled) runLabels[labels.JobScheduled] = scheduled.ToString("O", CultureInfo.InvariantCulture);
        var create = new ContainerCreateRequest(name, spec, runLabels);
        if (!wanted()) return null;
        try
        {
            // Create first: the image is usually there, and every call before the start makes the run later.
            return (await ownCreates.CreateAsync(engine, create, ct), create);
        }
        catch (EngineNotFoundException)
        {
            if (await engine.InspectImageAsync(spec.Image, ct) is not null) throw;
            if (spec.ImagePullPolicy == PullPolicy.Never) throw new EngineException($"image {spec.Image} is not present and imagePullPolicy is Never");
            await engine.PullImageAsync(spec.Image, null, ct);
            return (await ownCreates.CreateAsync(engine, create, ct), create);
        }
    }

    /// <summary>Starts an attempt's container; an engine that answers the start with an error (the container is left
    /// created, not started) throws <see cref="JobStartFailedException"/> naming the attempt. No answer at all (a timeout,
    /// a dropped connection) is not that: whether it started is asked of the engine once it answers (<see cref="Agent.Core.Jobs.BrokenStart"/>).</summary>
    private async Task StartCreatedAsync(JobAttempt attempt, CancellationToken ct)
    {
        try
        {
            await engine.StartContainerAsync(attempt.ContainerId, ct);
        }
        catch (EngineException e) when (e.StatusCode is not null)
        {
            throw new JobStartFailedException(attempt, e);
        }
    }

    /// <summary>The run and attempt each container's labels name (what <see cref="AttemptAdoption"/> judges).</summary>
    public IEnumerable<LabelledAttempt> Attempts(IEnumerable<ContainerSummary> containers) =>
        containers.Select(c => new LabelledAttempt(c.Id, c.Name, c.Labels[labels.JobRun],
            int.TryParse(c.Labels.GetValueOrDefault(labels.JobAttempt), CultureInfo.InvariantCulture, out var n) ? n : 1, c.Created));

    /// <summary>Starts an attempt's container that an earlier agent created and never started (it was killed in between),
    /// through the same bind check as every start. Nothing is done to one that has started already (the engine says
    /// whether it ever did: a container that ran is never "created" again; a list can be an event behind). Refused: why
    /// it was not started.</summary>
    public async Task<(bool Started, string? Refused)> StartLeftoverAsync(string id, CancellationToken ct)
    {
        if (await engine.InspectContainerAsync(id, ct) is not { State: ContainerState.Created }) return (false, null);
        return await admission.StartAsync(id, () => engine.StartContainerAsync(id, ct), ct) is { } refused ? (false, refused) : (true, null);
    }

    /// <summary>
    /// "{run}-{attempt}-{6 hex}": a person reads which run and attempt it is, and the random tail keeps names apart when
    /// several agents (or a restarted one with a lost state dir) share one engine. The labels stay the source of truth.
    /// </summary>
    public static string ContainerName(JobRun run, int attempt) =>
        $"{run.Id}-{attempt}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3))}";

    /// <summary>Stops with the container's own signal and grace period, like Kubernetes deleting a Job's pod.</summary>
    public Task StopAsync(string id, JobTemplate template, CancellationToken ct) =>
        engine.StopContainerAsync(id, template.Container.StopGracePeriod ?? TimeSpan.FromSeconds(10), ct);

    /// <summary>Removes a run's containers by the ids its history holds (removing one that is gone is success).</summary>
    public async Task RemoveRunAsync(JobRun run, CancellationToken ct)
    {
        foreach (var attempt in run.Attempts.Where(a => a.ContainerId.Length > 0)) // an attempt rebuilt without its container (gone) has no id
            await engine.RemoveContainerAsync(attempt.ContainerId, force: true, ct);
    }

    public Task RemoveContainerAsync(string id, CancellationToken ct) => engine.RemoveContainerAsync(id, force: true, ct);

    /// <summary>The run id a job container's labels name.</summary>
    public string RunOf(ContainerSummary c) => c.Labels[labels.JobRun];

    /// <summary>The attempt number a job container's labels name.</summary>
    public int AttemptOf(ContainerSummary c) => int.TryParse(c.Labels.GetValueOrDefault(labels.JobAttempt), CultureInfo.InvariantCulture, out var n) ? n : 1;

    /// <summary>Removes the run's containers that were created and never started (a create that landed after the agent
    /// gave up on it); returns how many.</summary>
    public async Task<int> RemoveNeverStartedAsync(ObjectKey key, string runId, CancellationToken ct)
    {
        var removed = 0;
        foreach (var c in (await ListAsync(key, ct)).Where(c => RunOf(c) == runId && c.State == ContainerState.Created))
        {
            await engine.RemoveContainerAsync(c.Id, force: true, ct);
            removed++;
        }
        return removed;
    }

    public async Task RemoveAllAsync(ObjectKey key, CancellationToken ct)
    {
        foreach (var c in await ListAsync(key, ct))
            await engine.RemoveContainerAsync(c.Id, force: true, ct);
    }

    public Task<ContainerDetails?> InspectAsync(string id, CancellationToken ct) => engine.InspectContainerAsync(id, ct);

    public IAsyncEnumerable<LogEntry> LogsAsync(string id, bool follow, CancellationToken ct) => engine.GetLogsAsync(id, new LogOptions(Follow: follow), ct);

    /// <summary>Runs the containers' labels say exist, for a history file that was lost.</summary>
    public IEnumerable<JobRun> RunsFromLabels(IEnumerable<ContainerSummary> containers) =>
        containers.GroupBy(c => c.Labels[labels.JobRun]).Select(g =>
        {
            var first = g.First().Labels;
            var attempts = g.Select(c => new JobAttempt(
                    int.TryParse(c.Labels.GetValueOrDefault(labels.JobAttempt), CultureInfo.InvariantCulture, out var n) ? n : 1, c.Id, c.Name, c.Created))
                .OrderBy(a => a.Number).ToList();
            return new JobRun
            {
                Id = g.Key,
                Trigger = first.GetValueOrDefault(labels.JobTrigger) ?? RunTriggers.Schedule,
                ScheduledTime = Time(first.GetValueOrDefault(labels.JobScheduled)),
                Start = Time(first.GetValueOrDefault(labels.JobStart)) ?? attempts[0].Start,
                TemplateHash = first.GetValueOrDefault(labels.JobTemplateHash),
                Attempts = attempts,
            };
        });

    private static DateTimeOffset? Time(string? text) =>
        text is not null && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t) ? t : null;
}

/// <summary>The engine answered an attempt's start with an error: its container was created and is not running.</summary>
public sealed class JobStartFailedException(JobAttempt attempt, EngineException inner) : EngineException(inner.Message, inner.StatusCode, inner)
{
    public JobAttempt Attempt { get; } = attempt;
}
