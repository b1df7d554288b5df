// The typed API without a cast: what a user writes after reading the README.
import { LuaTable, Module, Tensor, nn, t7, torch, type Activity } from 'mpelu';

// A file whose content the caller knows: load<T>.
const state = t7.load<LuaTable>('optimState_1.t7');
const lr: unknown = state.get('learningRate');
const rates = state.get('learningRates');
if (rates instanceof Tensor) rates.size();

// A module from a file: loadModule checks it.
const net: Module = t7.loadModule('model_1.t7');
const x = torch.FloatTensor(2, 3, 32, 32).normal(0, 1);
const y: Tensor = net.forward(x).clone();             // forward of a tensor is a Tensor
const table: Activity = net.forward([x, x]);          // a table input gives an Activity

// Modules built by hand are Double (Torch's default type) until .float().
const layer = nn.Sequential().add(nn.Linear(10, 4)).add(nn.MPELU(0.25, 1, 4)).float();
const out: Tensor = layer.forward(torch.FloatTensor(8, 10).uniform(-1, 1));

// torch's random functions: numbers, or the tensor they fill.
const a: number = torch.normal();
const b: number = torch.normal(0, 2);
const c: number = torch.uniform(-1, 1);
const k: number = torch.random(1, 10);
const filled: Tensor = torch.normal(torch.FloatTensor(5), 0, 1);
const r: Tensor = torch.rand(2, 3);
const n: Tensor = torch.randn([4, 4]);
const perm: Tensor = torch.randperm(10);
const coin: number = torch.bernoulli(0.3);

export const used = [lr, y, table, out, a, b, c, k, filled, r, n, perm, coin];
