namespace Agent.Core.Jobs;

/// <summary>
/// What the job loops know of an engine that does not answer, shared by all of them: an outage is said once (the first
/// loop to meet it), not once per job and retry, and its end once; each loop waits longer between tries while it lasts
/// (<see cref="Backoff"/>), as the group reconciles do.
/// </summary>
public sealed class JobEngineOutage
{
    /// <summary>What a job step or start cut off by a call the engine never answered says (never "The operation was canceled.").</summary>
    public const string NoAnswer = "the Docker engine did not answer (no answer within Agent:EngineRequestTimeout, or the heartbeat found it not answering)";

    private static readonly TimeSpan First = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(30);
    private readonly Lock sync = new();

    /// <summary>When a loop first found the engine not answering, while no loop has had an answer since; else null.</summary>
    public DateTimeOffset? Since { get; private set; }

    public string? Error { get; private set; }

    /// <summary>A loop's engine call failed; true when this begins the outage (the caller says so, once).</summary>
    public bool Failed(string error, DateTimeOffset now)
    {
        lock (sync)
        {
            Error = error;
            if (Since is not null) return false;
            Since = now;
            return true;
        }
    }

    /// <summary>A loop's engine call was answered; true when this ends an outage (the caller says so, once).</summary>
    public bool Answered()
    {
        lock (sync)
        {
            if (Since is null) return false;
            (Since, Error) = (null, null);
            return true;
        }
    }

    /// <summary>How long a loop waits after its <paramref name="failures"/>-th failed step in a row: 2 s, doubled each time, at most 30 s.</summary>
    public static TimeSpan Backoff(int failures)
    {
        if (failures <= 1) return First;
        var wait = First * Math.Pow(2, Math.Min(failures - 1, 5));
        return wait < Longest ? wait : Longest;
    }
}
