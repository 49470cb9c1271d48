// Calls an Indigo Orders service through the proxy ImportProxy generated from its WSDL.
//
//   mono OrdersCaller.exe ADDRESS
//
// Prints REPRICE, RESERVE and FAULT lines as tests/tests/interop_mono_metadata.rs expects.
using System;
using System.ServiceModel;
using System.ServiceModel.Channels;

public static class OrdersCaller
{
    static example.org.shop.OrderLine Line(int product, uint quantity)
    {
        return new example.org.shop.OrderLine
        {
            ProductId = product,
            Qty = quantity,
            Note = "from mono",
            Tags = new[] { "a", "b" },
            Discount = 0.5,
        };
    }

    public static int Main(string[] args)
    {
        var client = new OrdersClient(new BasicHttpBinding(), new EndpointAddress(args[0]));
        var repriced = client.Reprice(Line(7, 2));
        Console.WriteLine("REPRICE {0} {1} {2} {3} {4}", repriced.ProductId, repriced.Qty,
            repriced.Note, repriced.Discount, string.Join(",", repriced.Tags));
        Console.WriteLine("RESERVE {0}", client.Reserve(Line(7, 3)));
        try
        {
            client.Reserve(Line(7, 11));
            Console.WriteLine("NOFAULT Reserve");
        }
        catch (FaultException<example.stock.OutOfStockFault> e)
        {
            Console.WriteLine("FAULT Reserve OutOfStockFault {0} {1}", e.Detail.ProductId, e.Message);
        }
        try
        {
            client.Cancel(Line(0, 1));
            Console.WriteLine("NOFAULT Cancel");
        }
        catch (FaultException<example.stock.StoreClosed> e)
        {
            Console.WriteLine("FAULT Cancel StoreClosed {0} {1}", e.Detail.Until, e.Message);
        }
        client.Close();
        return 0;
    }
}
