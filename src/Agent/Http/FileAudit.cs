using System.Security.Claims;
using Agent.Auth;

namespace Agent.Http;

/// <summary>One log line per change made through the files API: who (role and token digest, never the token), which
/// container, which path, how many bytes.</summary>
public sealed partial class FileAudit(ILogger<FileAudit> logger)
{
    public void Changed(HttpContext http, string action, Engine.ContainerDetails container, string path, long bytes) =>
        Log(logger, action, path, container.Name, container.Id[..Math.Min(12, container.Id.Length)], bytes,
            http.User.FindFirstValue(ClaimTypes.Role) ?? "?", http.User.FindFirstValue(BearerAuthenticationHandler.PrincipalClaim) ?? "?");

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Files: {Action} {Path} in container {Container} ({ContainerId}), {Bytes} bytes, by {Role} token {Principal}")]
    private static partial void Log(ILogger logger, string action, string path, string container, string containerId, long bytes, string role, string principal);
}
