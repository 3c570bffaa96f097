using Agent.Core.Model;

namespace Agent.Admission;

/// <summary>Relative binds inside the manifests folder are created as folders when missing, like Compose's short syntax:
/// for a group's replica and a CronJob's or Job's run alike. Called after admission, on the spec it judged, so the
/// folder is made at the path the policy saw, not through a link that may have changed since.</summary>
public static class BindSourceFolders
{
    /// <summary>Creates the missing ones; the reason when one cannot be made, else null.</summary>
    public static string? CreateMissing(ContainerSpec spec)
    {
        foreach (var mount in spec.Mounts.Where(m => m is { Type: MountType.Bind, CreateSource: true, Source: not null }))
        {
            if (File.Exists(mount.Source) || Directory.Exists(mount.Source)) continue;
            try
            {
                Directory.CreateDirectory(mount.Source!);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return $"cannot create the bind source folder {mount.Source}: {e.Message}";
            }
        }
        return null;
    }
}
