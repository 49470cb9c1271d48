// A WCF service on Mono that publishes its own WSDL (ServiceMetadataBehavior, HttpGetEnabled):
// the service the captures in reference/captures/mono-metadata were taken from, kept here so
// tests/tests/codegen.rs can generate a Rust client from its live WSDL and call it.
//
//   mono MonoMetaService.exe HTTP_BASE NET_TCP_ADDRESS
//
// Publishes the WSDL at HTTP_BASE (?wsdl), IQuote over BasicHttpBinding at HTTP_BASE/basic and
// IOrderSession over NetTcpBinding(SecurityMode.None) at NET_TCP_ADDRESS; prints READY and
// serves until its standard input closes.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.Serialization;
using System.ServiceModel;
using System.ServiceModel.Description;

[DataContract(Namespace = "urn:probe:meta")]
public struct OrderLine
{
    [DataMember] public string Sku;
    [DataMember] public int Quantity;
    [DataMember] public decimal UnitPrice;
}

[DataContract(Namespace = "urn:probe:meta")]
public enum OrderStatus
{
    [EnumMember] Draft,
    [EnumMember] Placed,
    [EnumMember] Shipped,
}

[DataContract(Namespace = "urn:probe:meta")]
public struct Order
{
    [DataMember] public string Customer;
    [DataMember] public DateTime Placed;
    [DataMember] public List<OrderLine> Lines;
    [DataMember] public OrderStatus Status;
    [DataMember] public decimal Total;
}

[ServiceContract(Namespace = "urn:probe:meta", SessionMode = SessionMode.Required)]
public interface IOrderSession
{
    [OperationContract(IsOneWay = true, IsInitiating = true)]
    void Begin(string customer);

    [OperationContract(IsInitiating = false)]
    int AddLine(OrderLine line);

    [OperationContract(IsInitiating = false)]
    Order Peek();

    [OperationContract(IsInitiating = false)]
    void Fail(string reason);

    [OperationContract(IsInitiating = false, IsTerminating = true)]
    decimal Submit();
}

[ServiceContract(Namespace = "urn:probe:meta")]
public interface IQuote
{
    [OperationContract]
    decimal Quote(OrderLine line);
}

[ServiceBehavior(Name = "service", InstanceContextMode = InstanceContextMode.PerSession, IncludeExceptionDetailInFaults = true)]
public class ProbeService : IOrderSession, IQuote
{
    string customer = "";
    readonly List<OrderLine> lines = new List<OrderLine>();

    decimal Total()
    {
        return lines.Sum(l => l.Quantity * l.UnitPrice);
    }

    public void Begin(string customer) { this.customer = customer; }

    public int AddLine(OrderLine line)
    {
        lines.Add(line);
        return lines.Count;
    }

    public Order Peek()
    {
        return new Order
        {
            Customer = customer,
            Placed = new DateTime(2024, 3, 1, 12, 0, 0, DateTimeKind.Utc),
            Lines = new List<OrderLine>(lines),
            Status = OrderStatus.Placed,
            Total = Total(),
        };
    }

    public void Fail(string reason) { throw new FaultException(reason); }

    public decimal Submit() { return Total(); }

    public decimal Quote(OrderLine line) { return line.Quantity * line.UnitPrice; }
}

public static class MonoMetaService
{
    public static int Main(string[] args)
    {
        var httpBase = args[0];
        var tcpAddress = args[1];
        var host = new ServiceHost(typeof(ProbeService), new Uri(httpBase));
        host.AddServiceEndpoint(typeof(IOrderSession), new NetTcpBinding(SecurityMode.None), tcpAddress);
        host.AddServiceEndpoint(typeof(IQuote), new BasicHttpBinding(), httpBase + "/basic");
        host.Description.Behaviors.Add(new ServiceMetadataBehavior
        {
            HttpGetEnabled = true,
            HttpGetUrl = new Uri(httpBase),
        });
        host.Open();
        Console.WriteLine("READY");
        Console.Out.Flush();
        Console.In.ReadToEnd();
        host.Close();
        return 0;
    }
}
