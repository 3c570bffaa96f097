using System.CommandLine;
using Agent.Cli.Client;

namespace Agent.Cli;

public static class AgentCommandLine
{
    public static RootCommand Create()
    {
        var root = new RootCommand("Agent: keeps a Docker engine equal to a folder of manifests, like a Kubernetes operator for one host.");
        root.Options.Add(ClientCommand.Server);
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(ValidateCommand.Create());
        root.Subcommands.Add(DiffCommand.Create());
        root.Subcommands.Add(ApplyCommand.Create());
        root.Subcommands.Add(GetCommand.Create());
        root.Subcommands.Add(DescribeCommand.Create());
        root.Subcommands.Add(EventsCommand.Create());
        root.Subcommands.Add(LogsCommand.Create());
        root.Subcommands.Add(WaitCommand.Create());
        root.Subcommands.Add(ObjectVerbCommand.Create("stop", "Stop an object's containers and keep them stopped (survives agent restarts)."));
        root.Subcommands.Add(ObjectVerbCommand.Create("start", "Clear a stop: the object's containers run again."));
        root.Subcommands.Add(ObjectVerbCommand.Create("restart", "Restart an object's running containers."));
        root.Subcommands.Add(RenderCommand.Create());
        return root;
    }
}
