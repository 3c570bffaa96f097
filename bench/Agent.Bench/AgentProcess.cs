using System.Diagnostics;
using System.Globalization;

namespace Agent.Bench;

/// <summary>A real `agent run` process for the bench: this build's agent.dll, or the build AGENT_BENCH_AGENT names (a
/// published executable such as the Native AOT one from eng/publish-aot.sh, or another agent.dll). Its output goes to
/// the agents' log (<see cref="Report.AgentLog"/>), never into the results.</summary>
public static class AgentProcess
{
    /// <summary>The build to run unless a section names one: AGENT_BENCH_AGENT, else this build's agent.dll.</summary>
    public static string Default => Environment.GetEnvironmentVariable("AGENT_BENCH_AGENT") is { Length: > 0 } other ? other : Path.Combine(AppContext.BaseDirectory, "agent.dll");

    private static readonly Dictionary<string, string> Names = [];

    /// <summary>Which build runs, for the table.</summary>
    public static string Describe(string agent) =>
        agent == Path.Combine(AppContext.BaseDirectory, "agent.dll") ? "dotnet agent.dll (this build, JIT)" : Names.GetValueOrDefault(agent, agent);

    public static void Name(string agent, string name) => Names[agent] = name;

    /// <param name="onLine">Sees every line the process writes (with its process id), after it went to the log.</param>
    public static Process Start(string agent, string manifests, string state, string instance, string urls, IReadOnlyDictionary<string, string> environment,
        Action<int, string>? onLine = null)
    {
        var info = agent.EndsWith(".dll", StringComparison.Ordinal) ? new ProcessStartInfo("dotnet") { ArgumentList = { agent } } : new ProcessStartInfo(agent);
        foreach (var arg in new[] { "run", "--manifests", manifests, "--state-dir", state, "--instance", instance, "--urls", urls })
            info.ArgumentList.Add(arg);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        foreach (var (name, value) in environment) info.Environment[name] = value;
        var process = Process.Start(info)!;
        var pid = process.Id;
        void Line(object _, DataReceivedEventArgs e)
        {
            Report.AgentLine(pid, e.Data);
            if (e.Data is not null) onLine?.Invoke(pid, e.Data);
        }
        process.OutputDataReceived += Line;
        process.ErrorDataReceived += Line;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public static void Stop(Process agent)
    {
        if (!agent.HasExited) agent.Kill();
        agent.WaitForExit();
    }

    /// <summary>A field of /proc/PID/status in KiB (VmRSS, VmHWM, RssAnon, RssFile).</summary>
    public static long StatusKib(int pid, string field) => long.Parse(File.ReadAllLines($"/proc/{pid}/status")
        .First(l => l.StartsWith(field + ":", StringComparison.Ordinal)).Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);

    public static string Mib(long kib) => (kib / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";
}
