namespace Agent.IntegrationTests.Infrastructure;

/// <summary>Filesystems mounted on the host for a test (the tests run as root, like the agent on a host).</summary>
public static class HostMounts
{
    public static Task TmpfsAsync(string path, string size = "4m", string? mode = null) =>
        RunAsync("mount", "-t", "tmpfs", "-o", mode is null ? $"size={size}" : $"size={size},mode={mode}", "tmpfs", path);

    public static Task UnmountAsync(string path) => RunAsync("umount", path);

    /// <summary>For a finally: unmounted already (the test failed before mounting again) is fine.</summary>
    public static Task UnmountQuietlyAsync(string path) => ExternalTool.RunAsync("umount", [path]);

    private static async Task RunAsync(string program, params string[] args)
    {
        var (exit, _, stderr) = await ExternalTool.RunAsync(program, args);
        Assert.True(exit == 0, $"{program} {string.Join(' ', args)}: {stderr}");
    }
}
