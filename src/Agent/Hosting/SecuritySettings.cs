using Agent.Core.Security;

namespace Agent.Hosting;

/// <summary>The security policy's settings in configuration (section Agent:Security). Only these relax a rule.</summary>
public sealed class SecuritySettings
{
    public SecurityProfile Profile { get; set; } = SecurityProfile.Default;
    public List<string> AllowedCapabilities { get; set; } = [];
    public List<string> AllowedImages { get; set; } = [];
    public List<string> AllowedBindRoots { get; set; } = [];
    public List<string> AllowedSysctls { get; set; } = [];
    public bool AllowDevices { get; set; }

    public SecurityPolicy ToPolicy() => new(new SecurityOptions
    {
        Profile = Profile,
        AllowedCapabilities = AllowedCapabilities,
        AllowedImages = AllowedImages,
        AllowedBindRoots = AllowedBindRoots,
        AllowedSysctls = AllowedSysctls,
        AllowDevices = AllowDevices,
    });
}
