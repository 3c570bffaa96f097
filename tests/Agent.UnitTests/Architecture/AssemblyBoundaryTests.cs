using System.Reflection;

namespace Agent.UnitTests.Architecture;

/// <summary>The project boundaries keep their promises: Core does no I/O, only Engine sees Docker.DotNet.</summary>
public sealed class AssemblyBoundaryTests
{
    private static IEnumerable<string> References(Assembly assembly) => assembly.GetReferencedAssemblies().Select(a => a.Name!);

    [Fact]
    public void Only_the_engine_assembly_references_Docker_DotNet()
    {
        Assert.Contains("Docker.DotNet", References(typeof(Agent.Engine.DockerEngine).Assembly));
        Assert.DoesNotContain(References(typeof(Agent.Core.Model.ContainerSpec).Assembly), n => n.StartsWith("Docker", StringComparison.Ordinal));
        Assert.DoesNotContain(References(typeof(Agent.Hosting.AgentHost).Assembly), n => n.StartsWith("Docker", StringComparison.Ordinal));
    }

    [Fact]
    public void Core_references_no_engine_http_or_hosting()
    {
        var references = References(typeof(Agent.Core.Model.ContainerSpec).Assembly).ToList();
        Assert.DoesNotContain(references, n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.DoesNotContain(references, n => n.StartsWith("Microsoft.Extensions.Hosting", StringComparison.Ordinal));
        Assert.DoesNotContain(references, n => n == "Agent.Engine");
    }

    [Fact]
    public void Engine_public_surface_exposes_no_Docker_types()
    {
        var leaks = typeof(Agent.Engine.IContainerEngine).Assembly.GetExportedTypes()
            .SelectMany(t => t.GetMethods().Select(m => m.ReturnType).Concat(t.GetMethods().SelectMany(m => m.GetParameters().Select(p => p.ParameterType))))
            .Where(t => t.Namespace?.StartsWith("Docker", StringComparison.Ordinal) == true)
            .Select(t => t.FullName)
            .Distinct()
            .ToList();
        Assert.Empty(leaks);
    }
}
