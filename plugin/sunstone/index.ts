// oneha's Sunstone plugin: the exports FireEdge's tab manifest names
// (tabs/oneha.yaml: Component + moduleId OnehaModule).
export { HaHosts } from './HaHosts';
export { HaRecoveries } from './HaRecoveries';
