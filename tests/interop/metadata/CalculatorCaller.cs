// Drives an Indigo calculator session over net.tcp through the proxy ImportProxy generated
// from its WSDL: the one-way operations and the terminating one as the WSDL declares them.
//
//   mono CalculatorCaller.exe ADDRESS
using System;
using System.ServiceModel;

public static class CalculatorCaller
{
    public static int Main(string[] args)
    {
        var client = new CalculatorSessionClient(
            new NetTcpBinding(SecurityMode.None), new EndpointAddress(args[0]));
        // Mono's generator gives an operation with neither parameters nor result XmlSerializer
        // message types (.NET's gives `void Clear()`).
        client.Clear(new tempuri.org.Clear());
        client.AddTo(5);
        client.MultiplyBy(4);
        client.SubtractFrom(2);
        Console.WriteLine("EQUALS {0}", client.Equals());
        try
        {
            client.AddTo(1);
            Console.WriteLine("AFTER-TERMINATING sent");
        }
        catch (Exception e)
        {
            Console.WriteLine("AFTER-TERMINATING {0}", e.GetType().Name);
        }
        return 0;
    }
}
