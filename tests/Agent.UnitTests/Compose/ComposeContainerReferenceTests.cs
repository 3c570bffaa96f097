using Agent.Core.Model;
using Agent.Core.Planning;

namespace Agent.UnitTests.Compose;

/// <summary>network_mode: service:X / container:NAME and volumes_from, as compose-go reads them: a used service is a
/// dependency, addressed by its first container's name; anything that is not the project's own container is refused at
/// file:line:field.</summary>
public sealed class ComposeContainerReferenceTests : IDisposable
{
    private readonly ComposeStackFolder stack = new();

    public void Dispose() => stack.Dispose();

    private ServiceGroup Project(string compose) => stack.Project(compose);

    [Fact]
    public void Network_mode_service_joins_the_first_container_of_that_service_which_is_created_first()
    {
        var project = Project("""
            services:
              sidecar:
                image: busybox:1.35
                network_mode: "service:web"
              web:
                image: busybox:1.35
                ports: ["8080:80"]
            """);
        var sidecar = project.Spec.Services.Single(s => s.Name == "sidecar");
        Assert.Equal("container:shop-web-1", sidecar.Container.NetworkMode);
        Assert.Equal(("web", DependencyCondition.Started), (Assert.Single(sidecar.DependsOn).Service, Assert.Single(sidecar.DependsOn).Condition));
        Assert.Equal(["web", "sidecar"], ServiceOrder.Sort(project.Spec.Services).Select(s => s.Name));
    }

    [Fact]
    public void Network_mode_service_follows_the_container_name_of_that_service_and_keeps_a_declared_dependency()
    {
        var sidecar = Project("""
            services:
              web: { image: busybox:1.35, container_name: front }
              sidecar:
                image: busybox:1.35
                network_mode: service:web
                depends_on: { web: { condition: service_healthy } }
            """).Spec.Services.Single(s => s.Name == "sidecar");
        Assert.Equal("container:front", sidecar.Container.NetworkMode);
        Assert.Equal(DependencyCondition.Healthy, Assert.Single(sidecar.DependsOn).Condition);
    }

    [Fact]
    public void Volumes_from_a_service_or_a_project_container_names_its_first_container_with_the_access_mode()
    {
        var project = Project("""
            services:
              web: { image: busybox:1.35, volumes: [data:/data] }
              db: { image: busybox:1.35, volumes: [logs:/x] }
              reader:
                image: busybox:1.35
                volumes_from: [web, "web:ro", "container:shop-db-1:rw"]
            volumes:
              data: {}
              logs: {}
            """);
        var reader = project.Spec.Services.Single(s => s.Name == "reader");
        Assert.Equal(["shop-web-1", "shop-web-1:ro", "shop-db-1:rw"], reader.Container.VolumesFrom);
        Assert.Equal(["web", "db"], reader.DependsOn.Select(d => d.Service));
        Assert.Equal("reader", ServiceOrder.Sort(project.Spec.Services).Last().Name);
    }

    [Fact]
    public void Network_mode_container_of_a_project_container_is_a_dependency_too()
    {
        var sidecar = Project("""
            services:
              sidecar: { image: busybox:1.35, network_mode: "container:shop-web-1" }
              web: { image: busybox:1.35 }
            """).Spec.Services.Single(s => s.Name == "sidecar");
        Assert.Equal("container:shop-web-1", sidecar.Container.NetworkMode);
        Assert.Equal("web", Assert.Single(sidecar.DependsOn).Service);
    }

    [Theory]
    [InlineData("network_mode: \"container:postgres\"", "shop/compose.yaml:4:", "services.app.network_mode", "\"container:postgres\" shares a namespace with \"postgres\", which is not one of this agent's managed containers")]
    [InlineData("volumes_from: [\"container:postgres:ro\"]", "shop/compose.yaml:4:", "services.app.volumes_from[0]", "\"postgres\" is not one of this agent's managed containers")]
    [InlineData("network_mode: host", "shop/compose.yaml:4:", "services.app.network_mode", "networkMode \"host\" is not allowed")]
    [InlineData("network_mode: \"service:nosuch\"", "shop/compose.yaml:4:", "services.app.network_mode", "\"nosuch\" is not a service of this project (services: web, app)")]
    [InlineData("volumes_from: [nosuch]", "shop/compose.yaml:4:", "services.app.volumes_from[0]", "volumes_from \"nosuch\": \"nosuch\" is not a service of this project")]
    [InlineData("volumes_from: [\"web:rx\"]", "shop/compose.yaml:4:", "services.app.volumes_from[0]", "\"web:rx\" is not SERVICE[:ro|rw] or container:NAME[:ro|rw]")]
    [InlineData("network_mode: \"service:app\"", "shop/compose.yaml:4:", "services.app.network_mode", "a service cannot use itself")]
    public void A_reference_to_anything_but_the_projects_own_containers_is_an_error_at_the_file_line_and_field(string field, string at, string path, string message)
    {
        var errors = stack.Errors($"services:\n  web: {{ image: busybox:1.35 }}\n  app:\n    {field}\n    image: busybox:1.35\n");
        var error = Assert.Single(errors);
        Assert.StartsWith(at, error);
        Assert.Contains(path, error);
        Assert.Contains(message, error);
    }

    [Fact]
    public void Ports_on_a_service_in_another_services_network_are_an_error_at_its_ports()
    {
        var errors = stack.Errors("services:\n  web: { image: busybox:1.35 }\n  app:\n    image: busybox:1.35\n    network_mode: service:web\n    ports: [\"8080:80\"]\n");
        var error = Assert.Single(errors);
        Assert.StartsWith("shop/compose.yaml:6:", error);
        Assert.Contains("services.app.ports", error);
        Assert.Contains("ports cannot be published by a service with network_mode \"service:web\": it uses the network of web", error);
    }

    [Fact]
    public void Two_services_in_each_others_network_are_a_dependency_cycle()
    {
        var errors = stack.Errors("services:\n  a: { image: busybox:1.35, network_mode: \"service:b\" }\n  b: { image: busybox:1.35, volumes_from: [a] }\n");
        Assert.Contains(errors, e => e.Contains("dependency cycle"));
    }
}
